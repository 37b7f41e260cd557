import { PLATFORM_TENANT_ID } from '@ax/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Fixture, fixture } from './helpers.js';

// Installation-wide actions (create or suspend a tenant, rotate keys) are checked in the platform pseudo-tenant:
// no tenant role grants them, not even a tenant's `admin` (`*`), so a tenant admin cannot suspend its own
// tenant and lock everyone out.
let f: Fixture;
beforeEach(async () => {
  f = await fixture();
});
afterEach(() => f.cleanup());

describe('the platform pseudo-tenant', () => {
  it('a tenant admin holds nothing there; an active super-admin and the system hold everything', async () => {
    const t = await f.tenant();
    const admin = await f.member(t.id, ['admin']);
    expect(await f.rbac.has(f.as(t.id, admin.id), 'tenant.suspend')).toBe(true); // in its tenant, `*`
    const onPlatform = f.as(PLATFORM_TENANT_ID, admin.id);
    expect(await f.rbac.has(onPlatform, 'tenant.suspend')).toBe(false);
    const denied = await f.rbac.check(onPlatform, 'tenant.suspend');
    expect(denied.decision).toBe('denied');
    expect(denied.reason).toMatch(/super-admin/);
    await expect(f.rbac.require(onPlatform, 'suspend', 'Tenant')).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });

    const root = await f.user();
    await f.rbac.setSuperAdmin(f.as(t.id), { userId: root.id, superAdmin: true });
    expect(await f.rbac.has(f.as(PLATFORM_TENANT_ID, root.id), 'tenant.suspend')).toBe(true);
    expect(await f.rbac.has(f.as(PLATFORM_TENANT_ID), 'tenant.suspend')).toBe(true); // the system actor

    await f.rbac.suspendUser(f.as(t.id), { userId: root.id });
    expect(await f.rbac.has(f.as(PLATFORM_TENANT_ID, root.id), 'tenant.suspend')).toBe(false);
  });

  it('an API key never acts on the platform, even with the id of a super-admin', async () => {
    const root = await f.user();
    await f.rbac.setSuperAdmin(f.as(PLATFORM_TENANT_ID), { userId: root.id, superAdmin: true });
    const ctx = { tenantId: PLATFORM_TENANT_ID, actor: { type: 'apiKey' as const, id: root.id } };
    expect(await f.rbac.has(ctx, 'tenant.read')).toBe(false);
  });
});
