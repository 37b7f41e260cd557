import { makeRole, makeTenant, makeUser } from '@ax/store-testkit';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltinPermission, PermissionCatalog, SYSTEM_ROLES } from '../src/index.js';
import { type Fixture, fixture } from './helpers.js';

const catalog = PermissionCatalog.builtin();
const PERMISSIONS: string[] = catalog.permissions().filter((p) => p !== '*');
const NAMES = ['ops', 'eng', 'sec', 'fin', 'viewer', 'admin', 'auditor'];
const TENANTS = 5;
const USERS = 6;

const roleArb = fc.record({
  name: fc.constantFrom('ops', 'eng', 'sec', 'fin'),
  permissions: fc.oneof(
    { weight: 9, arbitrary: fc.subarray(PERMISSIONS, { maxLength: 6 }) },
    { weight: 1, arbitrary: fc.constant<string[]>(['*']) },
  ),
  extends: fc.subarray(['ops', 'eng', 'sec', 'fin', 'viewer'], { maxLength: 2 }),
});
const worldArb = fc.record({
  roles: fc.array(fc.array(roleArb, { maxLength: 4 }), { minLength: TENANTS, maxLength: TENANTS }),
  assignments: fc.array(
    fc.record({
      tenant: fc.nat(TENANTS - 1),
      user: fc.nat(USERS - 1),
      role: fc.constantFrom(...NAMES),
    }),
    { maxLength: 25 },
  ),
});

function grants(perms: readonly string[], p: string): boolean {
  return perms.includes('*') || perms.includes(p) || perms.includes(`${p.split('.')[0]}.*`);
}

let f: Fixture;
beforeAll(async () => {
  f = await fixture();
});
afterAll(() => f.cleanup());

describe('tenant isolation (property)', () => {
  it('no check passes through an assignment or a role of another tenant', async () => {
    await fc.assert(
      fc.asyncProperty(worldArb, async (world) => {
        const tenants = Array.from({ length: TENANTS }, () => makeTenant());
        const users = Array.from({ length: USERS }, () => makeUser());
        for (const t of tenants) await f.store.tenants.insert(t);
        for (const u of users) await f.store.users.insert(u);
        // the oracle's view: per tenant, role name -> definition
        const defs = tenants.map(() => new Map<string, { permissions: string[]; extends: string[] }>());
        for (const [i, roles] of world.roles.entries()) {
          for (const r of roles) {
            if (defs[i]!.has(r.name)) continue;
            defs[i]!.set(r.name, { permissions: r.permissions, extends: r.extends });
            // written straight to the store: cycles and dangling names included, as a hostile row would be
            await f.store.rbac.insertRole(makeRole(tenants[i]!.id, { ...r, rules: [] }));
          }
        }
        const held = tenants.map(() => users.map(() => new Set<string>()));
        for (const a of world.assignments) {
          held[a.tenant]![a.user]!.add(a.role);
          await f.store.rbac.assign({
            tenantId: tenants[a.tenant]!.id,
            userId: users[a.user]!.id,
            role: a.role,
            grantedBy: 'test',
            createdAt: 1,
          });
        }
        for (const [ti, tenant] of tenants.entries()) {
          for (const [ui, user] of users.entries()) {
            // oracle: only this tenant's assignments and roles, plus system roles
            const effective: string[] = [];
            const seen = new Set<string>();
            const queue = [...held[ti]![ui]!];
            while (queue.length > 0) {
              const name = queue.shift()!;
              if (seen.has(name)) continue;
              seen.add(name);
              const sys = SYSTEM_ROLES.find((r) => r.name === name);
              const custom = defs[ti]!.get(name);
              if (sys) effective.push(...sys.permissions);
              if (custom && !sys) {
                effective.push(...custom.permissions);
                queue.push(...custom.extends);
              }
            }
            const ctx = f.as(tenant.id, user.id);
            for (const p of PERMISSIONS) {
              const expected = grants(effective, p);
              const actual = await f.rbac.has(ctx, p as BuiltinPermission);
              if (actual !== expected) {
                throw new Error(`tenant ${ti} user ${ui} ${p}: expected ${expected}, got ${actual}`);
              }
            }
            if (held[ti]![ui]!.size === 0) {
              const filter = await f.rbac.accessibleBy(ctx, 'read', 'Workflow');
              expect(filter.kind).toBe('none');
            }
          }
        }
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});

describe('tenant isolation (ids that look alike)', () => {
  it('concurrent first checks of different (tenant, user) pairs never share a load, whatever the ids hold', async () => {
    const a = makeTenant({ id: 'tnt_a\u0000usr_b' });
    const b = makeTenant({ id: 'tnt_a' });
    await f.store.tenants.insert(a);
    await f.store.tenants.insert(b);
    const admin = makeUser({ id: 'usr_c' });
    const stranger = makeUser({ id: 'usr_b\u0000usr_c' });
    await f.store.users.insert(admin);
    await f.store.users.insert(stranger);
    await f.rbac.assign(f.as(a.id), { userId: admin.id, role: 'admin' });
    f.rbac.invalidate();
    const [first, second] = await Promise.all([
      f.rbac.can(f.as(a.id, admin.id), 'delete', 'Secret'),
      f.rbac.can(f.as(b.id, stranger.id), 'delete', 'Secret'),
    ]);
    expect(first).toBe(true);
    expect(second).toBe(false);
  });
});
