import assert from 'node:assert/strict';
import { testId, withFixture } from './fixtures.js';
import type { QuotaProbe } from './quota-store-suite.js';
import { FEB, lease, NOW, tenantWithQuotas } from './quota-suite-fixtures.js';
import type { StoreFactory, TestApi, TransactionalPorts } from './types.js';

/** Conformance suite for the lease half of the QuotaStore port (run by `quotaStoreSuite`). */
export function quotaLeaseSuite(
  t: TestApi,
  make: StoreFactory<QuotaProbe, TransactionalPorts<'tenants' | 'quotas'>>,
): void {
  t.describe('QuotaStore leases conformance', () => {
    t.it('leases: the limit holds, expired ones are reclaimed on acquire, renew and release behave', () =>
      withFixture(make, async ({ store, probe }) => {
        const id = await tenantWithQuotas(store);
        const a = lease(id, NOW, 1000);
        const b = lease(id, NOW, 5000);
        assert.deepEqual(await store.quotas.acquireLease(a, NOW), {
          status: 'acquired',
          lease: a,
          reclaimed: 0,
        });
        assert.equal((await store.quotas.acquireLease(b, NOW)).status, 'acquired');
        const c = lease(id, NOW + 999, 1000);
        assert.deepEqual(await store.quotas.acquireLease(c, NOW + 999), {
          status: 'exceeded',
          active: 2,
          limit: 2,
          reclaimed: 0,
        });
        assert.deepEqual(
          (await probe.leaseRows(id)).map((l) => l.id),
          [a.id, b.id],
        );
        assert.equal(await store.quotas.renewLease(id, a.id, NOW + 2000, NOW + 1000), null);
        const c2 = lease(id, NOW + 1000, 1000);
        assert.deepEqual(await store.quotas.acquireLease(c2, NOW + 1000), {
          status: 'acquired',
          lease: c2,
          reclaimed: 1,
        });
        assert.deepEqual((await probe.leaseRows(id)).map((l) => l.id).sort(), [b.id, c2.id].sort());
        const renewed = await store.quotas.renewLease(id, b.id, NOW + 9000, NOW + 1000);
        assert.equal(renewed?.expiresAt, NOW + 9000);
        assert.deepEqual(
          (await store.quotas.activeLeases(id, NOW + 1000)).map((l) => l.id),
          [b.id, c2.id],
        );
        assert.equal(await store.quotas.releaseLease(id, c2.id), true);
        assert.equal(await store.quotas.releaseLease(id, c2.id), false);
        const other = await tenantWithQuotas(store);
        assert.equal(await store.quotas.releaseLease(other, b.id), false);
        assert.equal(await store.quotas.renewLease(other, b.id, NOW + 99_999, NOW + 1000), null);
        assert.deepEqual(
          (await probe.leaseRows(id)).map((l) => l.id),
          [b.id],
        );
        assert.deepEqual(await store.quotas.acquireLease(lease(testId('tnt'), NOW, 1), NOW), {
          status: 'missing',
        });
        assert.deepEqual(await store.quotas.acquireLease(lease(id, NOW, 1, { quota: 'workflows' }), NOW), {
          status: 'missing',
        });
      }),
    );

    t.it('purgeExpired removes expired leases and idempotency records only', () =>
      withFixture(make, async ({ store, probe }) => {
        const id = await tenantWithQuotas(store);
        const short = lease(id, NOW, 10);
        const long = lease(id, NOW, 10_000);
        await store.quotas.acquireLease(short, NOW);
        await store.quotas.acquireLease(long, NOW);
        await store.quotas.consume({
          tenantId: id,
          quota: 'workflows',
          amount: 1,
          now: NOW,
          idempotency: { key: 'a', expiresAt: NOW + 10 },
        });
        await store.quotas.consume({
          tenantId: id,
          quota: 'executionsThisMonth',
          amount: 1,
          now: NOW,
          idempotency: { key: 'b', expiresAt: FEB },
        });
        assert.deepEqual(await store.quotas.purgeExpired(NOW + 10), { leases: 1, idempotencyKeys: 1 });
        assert.deepEqual(
          (await probe.leaseRows(id)).map((l) => l.id),
          [long.id],
        );
        assert.equal(await probe.idempotencyRow(id, 'workflows', 'a'), null);
        assert.notEqual(await probe.idempotencyRow(id, 'executionsThisMonth', 'b'), null);
      }),
    );
  });
}
