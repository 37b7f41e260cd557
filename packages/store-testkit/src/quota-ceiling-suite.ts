import assert from 'node:assert/strict';
import { withFixture } from './fixtures.js';
import type { QuotaProbe } from './quota-store-suite.js';
import { lease, NOW, SETTINGS, tenantWithQuotas } from './quota-suite-fixtures.js';
import type { StoreFactory, TestApi, TransactionalPorts } from './types.js';

/**
 * The adapter compares with the `ceiling` the domain stored and interprets nothing else: not `enforcement`, not
 * a negative `limit` (run by `quotaStoreSuite`).
 */
export function quotaCeilingSuite(
  t: TestApi,
  make: StoreFactory<QuotaProbe, TransactionalPorts<'tenants' | 'quotas'>>,
): void {
  t.describe('QuotaStore ceiling conformance', () => {
    t.it('consume and acquire enforce the stored ceiling only, whatever enforcement and limit say', () =>
      withFixture(make, async ({ store, probe }) => {
        const id = await tenantWithQuotas(store);
        const workflows = SETTINGS[0]!;
        const slots = SETTINGS[4]!;
        // "soft" with a ceiling of 3: bounded at 3; a limit of 5 with no ceiling: unbounded
        await store.quotas.upsertLimits(
          id,
          [
            { ...workflows, enforcement: 'soft', limit: 3, ceiling: 3 },
            { ...SETTINGS[3]!, limit: 5, ceiling: null },
            { ...slots, limit: -1, ceiling: 1 },
          ],
          NOW,
        );
        assert.equal((await probe.quotaRow(id, 'workflows'))?.ceiling, 3);
        assert.equal(
          (await store.quotas.consume({ tenantId: id, quota: 'workflows', amount: 3, now: NOW })).status,
          'consumed',
        );
        assert.deepEqual(
          await store.quotas.consume({ tenantId: id, quota: 'workflows', amount: 1, now: NOW }),
          {
            status: 'exceeded',
            used: 3,
            limit: 3,
          },
        );
        const big = await store.quotas.consume({
          tenantId: id,
          quota: 'storageBytes',
          amount: 1_000,
          now: NOW,
        });
        assert.equal(big.status === 'consumed' && big.used, 1_000);
        assert.equal((await store.quotas.acquireLease(lease(id, NOW, 1000), NOW)).status, 'acquired');
        assert.equal((await store.quotas.acquireLease(lease(id, NOW, 1000), NOW)).status, 'exceeded');
      }),
    );
  });
}
