import assert from 'node:assert/strict';
import { testId, withFixture } from './fixtures.js';
import type { QuotaProbe } from './quota-store-suite.js';
import { FEB, NOW, tenantWithQuotas } from './quota-suite-fixtures.js';
import type { StoreFactory, TestApi, TransactionalPorts } from './types.js';

/** Conformance suite for `QuotaStore.refund` (run by `quotaStoreSuite`). */
export function quotaRefundSuite(
  t: TestApi,
  make: StoreFactory<QuotaProbe, TransactionalPorts<'tenants' | 'quotas'>>,
): void {
  t.describe('QuotaStore refund conformance', () => {
    t.it('refund gives back exactly the key’s amount once, never below zero; unknown keys give nothing', () =>
      withFixture(make, async ({ store, probe }) => {
        const id = await tenantWithQuotas(store);
        const keyed = { tenantId: id, quota: 'executionsThisMonth', now: NOW };
        await store.quotas.consume({ ...keyed, amount: 4, idempotency: { key: 'k', expiresAt: NOW + 1000 } });
        await store.quotas.consume({ ...keyed, amount: 3 });
        const out = await store.quotas.refund(id, 'executionsThisMonth', 'k', NOW + 1);
        assert.equal(out.status, 'refunded');
        assert.equal(out.status === 'refunded' && out.amount, 4);
        assert.equal(out.status === 'refunded' && out.state.used, 3);
        assert.equal((await probe.quotaRow(id, 'executionsThisMonth'))?.used, 3);
        assert.deepEqual(await store.quotas.refund(id, 'executionsThisMonth', 'k', NOW + 2), {
          status: 'alreadyRefunded',
          amount: 4,
        });
        assert.equal((await probe.quotaRow(id, 'executionsThisMonth'))?.used, 3);
        for (const [tenantId, quota, key] of [
          [id, 'executionsThisMonth', 'nope'],
          [id, 'workflows', 'k'],
          [testId('tnt'), 'executionsThisMonth', 'k'],
        ] as const) {
          assert.deepEqual(await store.quotas.refund(tenantId, quota, key, NOW + 3), { status: 'unknown' });
        }
        // a retry with the refunded key consumes anew (and records the key again)
        const again = await store.quotas.consume({
          ...keyed,
          amount: 4,
          idempotency: { key: 'k', expiresAt: NOW + 1000 },
        });
        assert.equal(again.status === 'consumed' && again.replayed, false);
        assert.equal((await probe.quotaRow(id, 'executionsThisMonth'))?.used, 7);
        // never below zero: a release took the usage down in between
        await store.quotas.release(id, 'executionsThisMonth', 6, NOW + 4);
        const low = await store.quotas.refund(id, 'executionsThisMonth', 'k', NOW + 5);
        assert.equal(low.status === 'refunded' && low.state.used, 0);
      }),
    );

    t.it('refund gives nothing once the period the key consumed in has ended, rolled over or not', () =>
      withFixture(make, async ({ store, probe }) => {
        const id = await tenantWithQuotas(store);
        await store.quotas.consume({
          tenantId: id,
          quota: 'executionsThisMonth',
          amount: 2,
          now: NOW,
          idempotency: { key: 'k', expiresAt: NOW + 40 * 86_400_000 },
        });
        assert.deepEqual(await store.quotas.refund(id, 'executionsThisMonth', 'k', FEB), {
          status: 'periodClosed',
          amount: 2,
        });
        assert.equal((await probe.quotaRow(id, 'executionsThisMonth'))?.used, 2);
        assert.equal(
          await store.quotas.rollover(
            id,
            'executionsThisMonth',
            Date.UTC(2026, 0, 1),
            { start: FEB, end: FEB + 28 * 86_400_000 },
            FEB,
          ),
          true,
        );
        await store.quotas.consume({ tenantId: id, quota: 'executionsThisMonth', amount: 1, now: FEB + 1 });
        assert.equal(
          (await store.quotas.refund(id, 'executionsThisMonth', 'k', FEB + 2)).status,
          'periodClosed',
        );
        assert.equal((await probe.quotaRow(id, 'executionsThisMonth'))?.used, 1);
      }),
    );

    t.it('a refund inside a transaction rolls back with it', () =>
      withFixture(make, async ({ store, probe }) => {
        const id = await tenantWithQuotas(store);
        await store.quotas.consume({
          tenantId: id,
          quota: 'workflows',
          amount: 2,
          now: NOW,
          idempotency: { key: 'w', expiresAt: NOW + 1000 },
        });
        await assert.rejects(
          store.transaction(async (tx) => {
            assert.equal((await tx.quotas.refund(id, 'workflows', 'w', NOW + 1)).status, 'refunded');
            throw new Error('rollback');
          }),
          /rollback/,
        );
        assert.equal((await probe.quotaRow(id, 'workflows'))?.used, 2);
        assert.equal((await store.quotas.refund(id, 'workflows', 'w', NOW + 2)).status, 'refunded');
      }),
    );
  });
}
