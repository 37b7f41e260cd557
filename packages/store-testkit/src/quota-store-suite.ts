import assert from 'node:assert/strict';
import type { Lease, QuotaPeriodRecord, QuotaState } from '@ax/core';
import { testId, withFixture } from './fixtures.js';
import { quotaCeilingSuite } from './quota-ceiling-suite.js';
import { quotaLeaseSuite } from './quota-lease-suite.js';
import { quotaRefundSuite } from './quota-refund-suite.js';
import { FEB, JAN, lease, MAR, NOW, SETTINGS, tenantWithQuotas } from './quota-suite-fixtures.js';
import type { CoreProbe, StoreFactory, TestApi, TransactionalPorts } from './types.js';

/** Raw reads of quota storage that bypass the adapter's own code. */
export interface QuotaProbe {
  quotaRow(tenantId: string, quota: string): Promise<QuotaState | null>;
  /** Every lease row of a tenant, expired ones included, ordered by id. */
  leaseRows(tenantId: string): Promise<Lease[]>;
  idempotencyRow(
    tenantId: string,
    quota: string,
    key: string,
  ): Promise<{ amount: number; used: number; expiresAt: number } | null>;
  /** Closed periods of a quota, oldest first. */
  periodRows(tenantId: string, quota: string): Promise<QuotaPeriodRecord[]>;
  /** Recorded thresholds of a quota as `periodStart:threshold`, sorted. */
  thresholdRows(tenantId: string, quota: string): Promise<string[]>;
}

/** Conformance suite for the QuotaStore port. */
export function quotaStoreSuite(
  t: TestApi,
  make: StoreFactory<QuotaProbe, TransactionalPorts<'tenants' | 'quotas'>>,
): void {
  t.describe('QuotaStore conformance', () => {
    t.it('upsertLimits stores settings; a later upsert changes limits but keeps usage and period', () =>
      withFixture(make, async ({ store, probe }) => {
        const id = await tenantWithQuotas(store);
        assert.deepEqual(await probe.quotaRow(id, 'executionsThisMonth'), {
          tenantId: id,
          quota: 'executionsThisMonth',
          kind: 'periodic',
          enforcement: 'hard',
          limit: 10,
          overrideLimit: null,
          ceiling: 10,
          used: 0,
          periodStart: JAN,
          periodEnd: FEB,
          updatedAt: NOW,
        });
        await store.quotas.consume({ tenantId: id, quota: 'executionsThisMonth', amount: 4, now: NOW });
        await store.quotas.upsertLimits(
          id,
          [{ ...SETTINGS[1]!, limit: 3, overrideLimit: 3, ceiling: 3, periodStart: FEB, periodEnd: MAR }],
          NOW + 1,
        );
        const row = await probe.quotaRow(id, 'executionsThisMonth');
        assert.deepEqual(
          { used: row?.used, limit: row?.limit, over: row?.overrideLimit, start: row?.periodStart },
          { used: 4, limit: 3, over: 3, start: JAN },
        );
        assert.deepEqual(
          (await store.quotas.list(id)).map((q) => q.quota),
          ['apiCallsThisMonth', 'concurrentExecutions', 'executionsThisMonth', 'storageBytes', 'workflows'],
        );
        assert.deepEqual(await store.quotas.get(id, 'executionsThisMonth'), row);
        assert.equal(await store.quotas.get(id, 'nope'), null);
      }),
    );

    t.it('consume adds only while used + amount <= limit, and writes nothing otherwise', () =>
      withFixture(make, async ({ store, probe }) => {
        const id = await tenantWithQuotas(store);
        const ok = await store.quotas.consume({ tenantId: id, quota: 'workflows', amount: 5, now: NOW });
        assert.deepEqual(ok, {
          status: 'consumed',
          used: 5,
          limit: 5,
          enforcement: 'hard',
          periodStart: null,
          periodEnd: null,
          replayed: false,
        });
        const before = await probe.quotaRow(id, 'workflows');
        assert.deepEqual(
          await store.quotas.consume({ tenantId: id, quota: 'workflows', amount: 1, now: NOW + 5 }),
          {
            status: 'exceeded',
            used: 5,
            limit: 5,
          },
        );
        assert.deepEqual(await probe.quotaRow(id, 'workflows'), before);
        const big = await store.quotas.consume({
          tenantId: id,
          quota: 'storageBytes',
          amount: 2 ** 50,
          now: NOW,
        });
        assert.equal(big.status, 'consumed');
        const soft = await store.quotas.consume({
          tenantId: id,
          quota: 'apiCallsThisMonth',
          amount: 25,
          now: NOW,
        });
        assert.equal(soft.status === 'consumed' && soft.used, 25);
      }),
    );

    t.it('consume reports an ended period, an unknown tenant or quota, and a concurrency quota as such', () =>
      withFixture(make, async ({ store, probe }) => {
        const id = await tenantWithQuotas(store);
        assert.deepEqual(
          await store.quotas.consume({ tenantId: id, quota: 'executionsThisMonth', amount: 1, now: FEB }),
          {
            status: 'periodEnded',
            periodStart: JAN,
            periodEnd: FEB,
          },
        );
        assert.equal((await probe.quotaRow(id, 'executionsThisMonth'))?.used, 0);
        for (const [tenantId, quota] of [
          [testId('tnt'), 'workflows'],
          [id, 'nope'],
          [id, 'concurrentExecutions'],
        ] as const) {
          assert.deepEqual(await store.quotas.consume({ tenantId, quota, amount: 1, now: NOW }), {
            status: 'missing',
          });
        }
      }),
    );

    t.it('another tenant’s consume never touches this tenant’s row', () =>
      withFixture(make, async ({ store, probe }) => {
        const a = await tenantWithQuotas(store);
        const b = await tenantWithQuotas(store);
        await store.quotas.consume({ tenantId: b, quota: 'workflows', amount: 5, now: NOW });
        assert.equal((await probe.quotaRow(a, 'workflows'))?.used, 0);
        assert.equal(
          (await store.quotas.consume({ tenantId: a, quota: 'workflows', amount: 5, now: NOW })).status,
          'consumed',
        );
      }),
    );

    t.it('200 concurrent consumes of 1 against a limit of 10: exactly 10 succeed', () =>
      withFixture(make, async ({ store, probe }) => {
        const id = await tenantWithQuotas(store);
        const outcomes = await Promise.all(
          Array.from({ length: 200 }, (_, i) =>
            store.quotas.consume({ tenantId: id, quota: 'executionsThisMonth', amount: 1, now: NOW + i }),
          ),
        );
        assert.equal(outcomes.filter((o) => o.status === 'consumed').length, 10);
        assert.equal(outcomes.filter((o) => o.status === 'exceeded').length, 190);
        assert.equal((await probe.quotaRow(id, 'executionsThisMonth'))?.used, 10);
      }),
    );

    t.it(
      'an idempotency key is recorded with the update, replays the first result, and lasts until expiresAt',
      () =>
        withFixture(make, async ({ store, probe }) => {
          const id = await tenantWithQuotas(store);
          const req = {
            tenantId: id,
            quota: 'executionsThisMonth',
            amount: 3,
            now: NOW,
            idempotency: { key: 'k', expiresAt: FEB },
          };
          const first = await store.quotas.consume(req);
          assert.deepEqual(await probe.idempotencyRow(id, 'executionsThisMonth', 'k'), {
            amount: 3,
            used: 3,
            expiresAt: FEB,
          });
          await store.quotas.consume({ tenantId: id, quota: 'executionsThisMonth', amount: 2, now: NOW });
          const again = await store.quotas.consume({ ...req, now: FEB - 1 });
          assert.deepEqual(again, { ...first, replayed: true });
          assert.equal((await probe.quotaRow(id, 'executionsThisMonth'))?.used, 5);
          assert.deepEqual(await store.quotas.consume({ ...req, amount: 4 }), {
            status: 'keyConflict',
            amount: 3,
          });
          // the key lives exactly until the expiresAt given (the domain's choice); an expired key consumes anew
          const wf = {
            tenantId: id,
            quota: 'workflows',
            amount: 1,
            now: NOW,
            idempotency: { key: 'k', expiresAt: NOW + 1000 },
          };
          await store.quotas.consume(wf);
          assert.equal((await probe.idempotencyRow(id, 'workflows', 'k'))?.expiresAt, NOW + 1000);
          assert.equal((await store.quotas.consume({ ...wf, now: NOW + 999 })).status, 'consumed');
          assert.equal((await probe.quotaRow(id, 'workflows'))?.used, 1);
          const late = await store.quotas.consume({ ...wf, now: NOW + 1000 });
          assert.equal(late.status === 'consumed' && late.replayed, false);
          assert.equal((await probe.quotaRow(id, 'workflows'))?.used, 2);
        }),
    );

    t.it('a key whose expiresAt outlives its period still replays just after the period ended', () =>
      withFixture(make, async ({ store, probe }) => {
        const id = await tenantWithQuotas(store);
        const req = {
          tenantId: id,
          quota: 'executionsThisMonth',
          amount: 2,
          now: FEB - 10,
          idempotency: { key: 'late', expiresAt: FEB + 990 },
        };
        const first = await store.quotas.consume(req);
        assert.equal((await probe.idempotencyRow(id, 'executionsThisMonth', 'late'))?.expiresAt, FEB + 990);
        // the retry arrives after the period ended: it was counted in January, not again in February
        assert.deepEqual(await store.quotas.consume({ ...req, now: FEB + 5 }), { ...first, replayed: true });
        const row = await probe.quotaRow(id, 'executionsThisMonth');
        assert.deepEqual([row?.used, row?.periodStart], [2, JAN]);
        const fresh = await store.quotas.consume({ ...req, now: FEB + 990 });
        assert.equal(fresh.status, 'periodEnded');
      }),
    );

    t.it('a refused keyed consume records no key', () =>
      withFixture(make, async ({ store, probe }) => {
        const id = await tenantWithQuotas(store);
        const r = await store.quotas.consume({
          tenantId: id,
          quota: 'workflows',
          amount: 6,
          now: NOW,
          idempotency: { key: 'x', expiresAt: NOW + 1000 },
        });
        assert.equal(r.status, 'exceeded');
        assert.equal(await probe.idempotencyRow(id, 'workflows', 'x'), null);
      }),
    );

    t.it('release never goes below zero and respects periods', () =>
      withFixture(make, async ({ store, probe }) => {
        const id = await tenantWithQuotas(store);
        await store.quotas.consume({ tenantId: id, quota: 'workflows', amount: 4, now: NOW });
        const r = await store.quotas.release(id, 'workflows', 10, NOW);
        assert.equal(r.status === 'released' && r.state.used, 0);
        assert.equal((await probe.quotaRow(id, 'workflows'))?.used, 0);
        assert.deepEqual(await store.quotas.release(id, 'executionsThisMonth', 1, FEB), {
          status: 'periodEnded',
          periodStart: JAN,
          periodEnd: FEB,
        });
        assert.deepEqual(await store.quotas.release(id, 'nope', 1, NOW), { status: 'missing' });
      }),
    );

    t.it('rollover keeps the ended period’s usage, resets, and happens once', () =>
      withFixture(make, async ({ store, probe }) => {
        const id = await tenantWithQuotas(store);
        await store.quotas.consume({ tenantId: id, quota: 'executionsThisMonth', amount: 7, now: NOW });
        assert.equal(
          await store.quotas.rollover(id, 'executionsThisMonth', JAN, { start: FEB, end: MAR }, FEB - 1),
          false,
        );
        assert.deepEqual(
          (await store.quotas.duePeriods(FEB, 100)).filter((d) => d.tenantId === id).map((d) => d.quota),
          ['apiCallsThisMonth', 'executionsThisMonth'].sort(),
        );
        assert.equal(
          await store.quotas.rollover(id, 'executionsThisMonth', JAN, { start: FEB, end: MAR }, FEB),
          true,
        );
        assert.equal(
          await store.quotas.rollover(id, 'executionsThisMonth', JAN, { start: FEB, end: MAR }, FEB),
          false,
        );
        const row = await probe.quotaRow(id, 'executionsThisMonth');
        assert.deepEqual([row?.used, row?.periodStart, row?.periodEnd], [0, FEB, MAR]);
        assert.deepEqual(await probe.periodRows(id, 'executionsThisMonth'), [
          {
            tenantId: id,
            quota: 'executionsThisMonth',
            periodStart: JAN,
            periodEnd: FEB,
            used: 7,
            limit: 10,
            closedAt: FEB,
          },
        ]);
        assert.deepEqual(
          await store.quotas.history(id, 'executionsThisMonth'),
          await probe.periodRows(id, 'executionsThisMonth'),
        );
      }),
    );

    t.it('records a threshold once per period, and forgets them on request', () =>
      withFixture(make, async ({ store, probe }) => {
        const id = await tenantWithQuotas(store);
        assert.equal(await store.quotas.recordThreshold(id, 'apiCallsThisMonth', JAN, 80, NOW), true);
        assert.equal(await store.quotas.recordThreshold(id, 'apiCallsThisMonth', JAN, 80, NOW), false);
        assert.equal(await store.quotas.recordThreshold(id, 'apiCallsThisMonth', FEB, 80, FEB), true);
        assert.deepEqual(
          await probe.thresholdRows(id, 'apiCallsThisMonth'),
          [`${JAN}:80`, `${FEB}:80`].sort(),
        );
        await store.quotas.clearThresholds(id, 'apiCallsThisMonth');
        assert.deepEqual(await probe.thresholdRows(id, 'apiCallsThisMonth'), []);
      }),
    );

    t.it('purging a tenant purges its quota data', () =>
      withFixture(make, async ({ store, probe }) => {
        const id = await tenantWithQuotas(store);
        await store.quotas.acquireLease(lease(id, NOW, 1000), NOW);
        await store.quotas.consume({
          tenantId: id,
          quota: 'workflows',
          amount: 1,
          now: NOW,
          idempotency: { key: 'a', expiresAt: NOW + 10 },
        });
        await store.quotas.rollover(id, 'executionsThisMonth', JAN, { start: FEB, end: MAR }, FEB);
        await store.tenants.purge(id);
        assert.equal(await probe.quotaRow(id, 'workflows'), null);
        assert.deepEqual(await probe.leaseRows(id), []);
        assert.equal(await probe.idempotencyRow(id, 'workflows', 'a'), null);
        assert.deepEqual(await probe.periodRows(id, 'executionsThisMonth'), []);
      }),
    );

    t.it('quota writes inside a transaction roll back with it', () =>
      withFixture(make, async ({ store, probe }) => {
        const id = await tenantWithQuotas(store);
        await assert.rejects(
          store.transaction(async (tx) => {
            await tx.quotas.consume({
              tenantId: id,
              quota: 'workflows',
              amount: 2,
              now: NOW,
              idempotency: { key: 'r', expiresAt: NOW + 10 },
            });
            await tx.quotas.acquireLease(lease(id, NOW, 1000), NOW);
            throw new Error('roll back');
          }),
          /roll back/,
        );
        assert.equal((await probe.quotaRow(id, 'workflows'))?.used, 0);
        assert.equal(await probe.idempotencyRow(id, 'workflows', 'r'), null);
        assert.deepEqual(await probe.leaseRows(id), []);
      }),
    );
  });
  quotaLeaseSuite(t, make);
  quotaRefundSuite(t, make);
  quotaCeilingSuite(t, make);
}
