import assert from 'node:assert/strict';
import { ConflictError } from '@ax/core';
import { makeTenant, withFixture } from './fixtures.js';
import type { CoreProbe, PortsOf, StoreFactory, TestApi } from './types.js';

/** Conformance suite for the TenantStore port. */
export function tenantStoreSuite(
  t: TestApi,
  make: StoreFactory<Pick<CoreProbe, 'tenantRow'>, PortsOf<'tenants'>>,
): void {
  t.describe('TenantStore conformance', () => {
    t.it('inserts a tenant that storage holds as given, readable by id and slug', () =>
      withFixture(make, async ({ store, probe }) => {
        const tenant = makeTenant({
          billingAnchorDay: 31,
          statusReason: null,
        });
        await store.tenants.insert(tenant);
        assert.deepEqual(await probe.tenantRow(tenant.id), tenant);
        assert.deepEqual(await store.tenants.get(tenant.id), tenant);
        assert.deepEqual(await store.tenants.getBySlug(tenant.slug), tenant);
        assert.equal(await store.tenants.get('tnt_missing'), null);
        assert.equal(await store.tenants.getBySlug('missing'), null);
      }),
    );

    t.it('rejects a duplicate slug or id with ConflictError and keeps the first row', () =>
      withFixture(make, async ({ store, probe }) => {
        const first = makeTenant({ slug: 'acme' });
        await store.tenants.insert(first);
        await assert.rejects(store.tenants.insert(makeTenant({ slug: 'acme' })), ConflictError);
        await assert.rejects(
          store.tenants.insert(makeTenant({ id: first.id, slug: 'other' })),
          ConflictError,
        );
        assert.deepEqual(await probe.tenantRow(first.id), first);
      }),
    );

    t.it('updates only the patched fields and returns the new row', () =>
      withFixture(make, async ({ store, probe }) => {
        const tenant = makeTenant();
        await store.tenants.insert(tenant);
        const updated = await store.tenants.update(tenant.id, {
          status: 'suspended',
          statusReason: 'unpaid',
          updatedAt: tenant.updatedAt + 10,
        });
        const expected = {
          ...tenant,
          status: 'suspended',
          statusReason: 'unpaid',
          updatedAt: tenant.updatedAt + 10,
        };
        assert.deepEqual(updated, expected);
        assert.deepEqual(await probe.tenantRow(tenant.id), expected);
        const cleared = await store.tenants.update(tenant.id, {
          statusReason: null,
          updatedAt: tenant.updatedAt + 20,
        });
        assert.equal(cleared?.statusReason, null);
        assert.equal(
          await store.tenants.update('tnt_missing', {
            name: 'x',
            updatedAt: 1,
          }),
          null,
        );
      }),
    );

    t.it('pages by id with a stable cursor and filters by status', () =>
      withFixture(make, async ({ store }) => {
        const tenants = Array.from({ length: 7 }, (_, i) =>
          makeTenant({ status: i % 3 === 0 ? 'deleted' : 'active' }),
        );
        for (const x of [...tenants].reverse()) await store.tenants.insert(x);
        const seen: string[] = [];
        let afterId: string | undefined;
        for (;;) {
          const page = await store.tenants.list({ afterId, limit: 3 });
          seen.push(...page.map((p) => p.id));
          if (page.length < 3) break;
          afterId = page[page.length - 1]!.id;
        }
        assert.deepEqual(
          seen,
          tenants.map((x) => x.id),
        );
        const active = await store.tenants.list({
          limit: 3,
          status: ['active'],
        });
        assert.equal(active.length, 3);
        assert.ok(active.every((x) => x.status === 'active'));
      }),
    );

    t.it('purges a tenant for good', () =>
      withFixture(make, async ({ store, probe }) => {
        const tenant = makeTenant();
        await store.tenants.insert(tenant);
        assert.equal(await store.tenants.purge(tenant.id), true);
        assert.equal(await probe.tenantRow(tenant.id), null);
        assert.equal(await store.tenants.purge(tenant.id), false);
      }),
    );
  });
}
