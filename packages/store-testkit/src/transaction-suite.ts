import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { onCommit } from '@ax/core';
import { isRetryableConflict, retryableConflict } from '@ax/core/adapter';
import { makeTenant, withFixture } from './fixtures.js';
import type { CoreProbe, StoreFactory, TestApi, TransactionalPorts } from './types.js';

class Planned extends Error {}

/**
 * Conformance suite for `Store.transaction(fn, { retries })`: commit, rollback, isolation of interleaved
 * transactions (an adapter may serialise them or detect conflicts and retry: the counts must be exact either
 * way), re-runs after a retryable conflict, and after-commit callbacks (`onCommit`).
 */
export function transactionSuite(
  t: TestApi,
  make: StoreFactory<Pick<CoreProbe, 'tenantRow'>, TransactionalPorts<'tenants'>>,
): void {
  t.describe('Store.transaction conformance', () => {
    t.it('commits what fn wrote when it resolves, and returns its value', () =>
      withFixture(make, async ({ store, probe }) => {
        const a = makeTenant();
        const b = makeTenant();
        const result = await store.transaction(async (tx) => {
          await tx.tenants.insert(a);
          assert.deepEqual(await tx.tenants.get(a.id), a, 'a transaction reads its own writes');
          await tx.tenants.insert(b);
          return 'done';
        });
        assert.equal(result, 'done');
        assert.deepEqual(await probe.tenantRow(a.id), a);
        assert.deepEqual(await probe.tenantRow(b.id), b);
      }),
    );

    t.it('rolls back everything when fn throws, and rethrows the same error', () =>
      withFixture(make, async ({ store, probe }) => {
        const kept = makeTenant();
        await store.tenants.insert(kept);
        const a = makeTenant();
        const boom = new Planned('boom');
        await assert.rejects(
          store.transaction(async (tx) => {
            await tx.tenants.insert(a);
            await tx.tenants.update(kept.id, {
              name: 'changed',
              updatedAt: 2,
            });
            await sleep(1);
            throw boom;
          }),
          (err) => err === boom,
        );
        assert.equal(await probe.tenantRow(a.id), null);
        assert.deepEqual(await probe.tenantRow(kept.id), kept);
      }),
    );

    t.it('rolls back when a statement inside fails (e.g. a conflict)', () =>
      withFixture(make, async ({ store, probe }) => {
        const existing = makeTenant({ slug: 'taken' });
        await store.tenants.insert(existing);
        const a = makeTenant();
        await assert.rejects(
          store.transaction(async (tx) => {
            await tx.tenants.insert(a);
            await tx.tenants.insert(makeTenant({ slug: 'taken' }));
          }),
        );
        assert.equal(await probe.tenantRow(a.id), null);
      }),
    );

    t.it('never shows another transaction its uncommitted writes', () =>
      withFixture(make, async ({ store }) => {
        const a = makeTenant();
        let release!: () => void;
        const gate = new Promise<void>((r) => {
          release = r;
        });
        let inserted!: () => void;
        const didInsert = new Promise<void>((r) => {
          inserted = r;
        });
        const tx = store.transaction(async (t2) => {
          await t2.tenants.insert(a);
          inserted();
          await gate;
          throw new Planned('roll back');
        });
        await didInsert;
        const outside = store.tenants.get(a.id);
        const otherTx = store.transaction((t3) => t3.tenants.get(a.id));
        release();
        await assert.rejects(tx, Planned);
        assert.equal(await outside, null);
        assert.equal(await otherTx, null);
      }),
    );

    t.it('refuses to use a transaction port after the transaction ended', () =>
      withFixture(make, async ({ store }) => {
        let leaked: Parameters<Parameters<typeof store.transaction>[0]>[0] | undefined;
        await store.transaction(async (tx) => {
          leaked = tx;
        });
        await assert.rejects(leaked!.tenants.insert(makeTenant()));
      }),
    );

    t.it('runs onCommit callbacks once after COMMIT; never for a rolled-back or a retried attempt', () =>
      withFixture(make, async ({ store, probe }) => {
        const seen: string[] = [];
        const a = makeTenant();
        let attempt = 0;
        const out = await store.transaction(async (tx) => {
          attempt++;
          await tx.tenants.insert(a);
          onCommit(tx, () => seen.push(`committed ${attempt}`));
          // the first attempt fails as a serialization failure would: it must roll back and run again
          if (attempt === 1) throw retryableConflict('could not serialize access (test)');
          return attempt;
        });
        assert.equal(out, 2);
        assert.deepEqual(seen, ['committed 2']);
        assert.deepEqual(await probe.tenantRow(a.id), a);
        await assert.rejects(
          store.transaction(async (tx) => {
            await tx.tenants.insert(makeTenant());
            onCommit(tx, () => seen.push('rolled back'));
            throw new Planned('no');
          }),
          Planned,
        );
        assert.deepEqual(seen, ['committed 2']);
      }),
    );

    t.it(
      'gives up after `retries` re-runs and throws the retryable conflict; other errors are not retried',
      () =>
        withFixture(make, async ({ store }) => {
          let runs = 0;
          const err = await store
            .transaction(
              async () => {
                runs++;
                throw retryableConflict('always conflicting (test)');
              },
              { retries: 2 },
            )
            .catch((e: unknown) => e);
          assert.ok(isRetryableConflict(err), String(err));
          assert.equal(runs, 3);
          runs = 0;
          await assert.rejects(
            store.transaction(async () => {
              runs++;
              throw new Planned('not a conflict');
            }),
            Planned,
          );
          assert.equal(runs, 1);
        }),
    );

    t.it(
      'runs 100 concurrent transactions whose awaits interleave without mixing statements',
      () =>
        withFixture(make, async ({ store, probe }) => {
          const counter = makeTenant({ name: '0' });
          await store.tenants.insert(counter);
          const mine = Array.from({ length: 100 }, () => makeTenant());
          const outcomes = await Promise.allSettled(
            mine.map((tenant, i) =>
              store.transaction(
                async (tx) => {
                  // read-modify-write across awaits: a lost update or a foreign statement shows in the count
                  const current = await tx.tenants.get(counter.id);
                  await (i % 2 === 0 ? sleep(i % 3) : new Promise((r) => setImmediate(r)));
                  await tx.tenants.insert(tenant);
                  await tx.tenants.update(counter.id, {
                    name: String(Number(current!.name) + 1),
                    updatedAt: i,
                  });
                  await sleep(0);
                  const again = await tx.tenants.get(counter.id);
                  assert.equal(again!.name, String(Number(current!.name) + 1));
                  if (i % 10 === 9) throw new Planned(`tx ${i} rolls back`);
                  return i;
                },
                // an adapter that detects conflicts instead of serialising re-runs the losers: allow plenty
                { retries: 100 },
              ),
            ),
          );
          const committed = outcomes.filter((o) => o.status === 'fulfilled').length;
          assert.equal(committed, 90);
          for (const o of outcomes) {
            if (o.status === 'rejected') assert.ok(o.reason instanceof Planned, String(o.reason));
          }
          assert.equal((await probe.tenantRow(counter.id))?.name, '90');
          for (const [i, tenant] of mine.entries()) {
            const row = await probe.tenantRow(tenant.id);
            if (i % 10 === 9) assert.equal(row, null, `rolled-back tx ${i} left a row`);
            else assert.deepEqual(row, tenant);
          }
        }),
      60_000,
    );
  });
}
