import assert from 'node:assert/strict';
import { ConflictError, type RoleAssignment, type RoleRecord } from '@ax/core';
import { makeTenant, makeUser, testId, withFixture } from './fixtures.js';
import type { StoreFactory, TestApi, TransactionalPorts } from './types.js';

/** Raw reads of RBAC storage, bypassing the adapter's port code. */
export interface RbacProbe {
  /** The stored role row mapped to the entity shape, or null. */
  roleRow(tenantId: string, name: string): Promise<RoleRecord | null>;
  /** Stored assignments of a principal (a user or an API key id) in a tenant, ordered by role. */
  assignmentRows(tenantId: string, userId: string): Promise<RoleAssignment[]>;
  /** The stored policy epoch. */
  epochValue(): Promise<number>;
  /** True when the super-admin flag row exists for the user. */
  superAdminRow(userId: string): Promise<boolean>;
}

/** A role entity with sensible defaults. */
export function makeRole(tenantId: string, over: Partial<RoleRecord> = {}): RoleRecord {
  return {
    id: testId('rol'),
    tenantId,
    name: `role-${testId('x').slice(-6).toLowerCase()}`,
    description: null,
    permissions: ['workflow.read'],
    rules: [],
    extends: [],
    createdAt: 1_767_225_600_000,
    updatedAt: 1_767_225_600_000,
    ...over,
  };
}

function assignment(tenantId: string, userId: string, role: string): RoleAssignment {
  return {
    tenantId,
    userId,
    role,
    grantedBy: 'system',
    createdAt: 1_767_225_600_000,
  };
}

/** Conformance suite for the RbacStore port. */
export function rbacStoreSuite(
  t: TestApi,
  make: StoreFactory<RbacProbe, TransactionalPorts<'tenants' | 'users' | 'rbac'>>,
): void {
  t.describe('RbacStore conformance', () => {
    t.it('stores roles as given, scoped to their tenant; names are unique per tenant only', () =>
      withFixture(make, async ({ store, probe }) => {
        const a = makeTenant();
        const b = makeTenant();
        await store.tenants.insert(a);
        await store.tenants.insert(b);
        const role = makeRole(a.id, {
          name: 'editor',
          description: 'edits',
          permissions: ['workflow.read', 'workflow.write'],
          rules: [
            {
              action: 'delete',
              subject: 'Workflow',
              conditions: { ownerId: '${user.id}' },
            },
          ],
          extends: ['viewer'],
        });
        await store.rbac.insertRole(role);
        assert.deepEqual(await probe.roleRow(a.id, 'editor'), role);
        assert.deepEqual(await store.rbac.getRole(a.id, 'editor'), role);
        assert.equal(await store.rbac.getRole(b.id, 'editor'), null, "another tenant's role is invisible");
        assert.deepEqual(await store.rbac.listRoles(b.id), []);
        await assert.rejects(store.rbac.insertRole(makeRole(a.id, { name: 'editor' })), ConflictError);
        await store.rbac.insertRole(makeRole(b.id, { name: 'editor' }));
        assert.equal((await store.rbac.listRoles(a.id)).length, 1);
        assert.equal((await probe.roleRow(b.id, 'editor'))?.tenantId, b.id);
      }),
    );

    t.it('bumps the epoch by one on every write, and not on a no-op', () =>
      withFixture(make, async ({ store, probe }) => {
        const tenant = makeTenant();
        const user = makeUser();
        await store.tenants.insert(tenant);
        await store.users.insert(user);
        let expected = await probe.epochValue();
        const step = async (what: string, fn: () => Promise<unknown>, bumps = 1) => {
          await fn();
          expected += bumps;
          assert.equal(await probe.epochValue(), expected, what);
          assert.equal(await store.rbac.epoch(), expected, `${what} (port)`);
        };
        await step('insertRole', () => store.rbac.insertRole(makeRole(tenant.id, { name: 'r1' })));
        await step('updateRole', () =>
          store.rbac.updateRole(tenant.id, 'r1', {
            permissions: ['agent.read'],
            updatedAt: 2,
          }),
        );
        await step('assign', () => store.rbac.assign(assignment(tenant.id, user.id, 'r1')));
        await step('assign again (no-op)', () => store.rbac.assign(assignment(tenant.id, user.id, 'r1')), 0);
        await step('revoke', () => store.rbac.revoke(tenant.id, user.id, 'r1'));
        await step('revoke again (no-op)', () => store.rbac.revoke(tenant.id, user.id, 'r1'), 0);
        await step('setSuperAdmin', () => store.rbac.setSuperAdmin(user.id, true, 3));
        await step('setSuperAdmin again (no-op)', () => store.rbac.setSuperAdmin(user.id, true, 3), 0);
        await step('clear super-admin', () => store.rbac.setSuperAdmin(user.id, false, 4));
        await step('deleteRole', () => store.rbac.deleteRole(tenant.id, 'r1'));
        await step('deleteRole missing (no-op)', () => store.rbac.deleteRole(tenant.id, 'r1'), 0);
        await step('bumpEpoch', () => store.rbac.bumpEpoch());
        await step('user status change', () =>
          store.users.update(user.id, { status: 'suspended', updatedAt: 5 }),
        );
        await step('tenant status change', () =>
          store.tenants.update(tenant.id, {
            status: 'suspended',
            updatedAt: 5,
          }),
        );
        await step(
          'user e-mail change (not a permission change)',
          () =>
            store.users.update(user.id, {
              email: 'new@example.test',
              updatedAt: 6,
            }),
          0,
        );
      }),
    );

    t.it('a rolled-back transaction leaves neither the write nor the epoch bump', () =>
      withFixture(make, async ({ store, probe }) => {
        const tenant = makeTenant();
        await store.tenants.insert(tenant);
        const before = await probe.epochValue();
        await assert.rejects(
          store.transaction(async (tx) => {
            await tx.rbac.insertRole(makeRole(tenant.id, { name: 'doomed' }));
            throw new Error('planned');
          }),
        );
        assert.equal(await probe.roleRow(tenant.id, 'doomed'), null);
        assert.equal(await probe.epochValue(), before);
      }),
    );

    t.it("ignores another tenant's ids: revoke, update and delete only touch the named tenant", () =>
      withFixture(make, async ({ store, probe }) => {
        const a = makeTenant();
        const b = makeTenant();
        const user = makeUser();
        await store.tenants.insert(a);
        await store.tenants.insert(b);
        await store.users.insert(user);
        await store.rbac.insertRole(makeRole(a.id, { name: 'ops' }));
        await store.rbac.insertRole(makeRole(b.id, { name: 'ops' }));
        await store.rbac.assign(assignment(a.id, user.id, 'ops'));
        await store.rbac.assign(assignment(b.id, user.id, 'ops'));
        assert.equal(await store.rbac.revoke(b.id, user.id, 'viewer'), false);
        assert.equal(await store.rbac.deleteRole(b.id, 'ops'), true);
        assert.deepEqual(await probe.assignmentRows(b.id, user.id), []);
        assert.deepEqual(
          (await probe.assignmentRows(a.id, user.id)).map((r) => r.role),
          ['ops'],
          "deleting tenant b's role keeps tenant a's assignment of the same name",
        );
        assert.equal(
          await store.rbac.updateRole(b.id, 'ops', {
            description: 'x',
            updatedAt: 9,
          }),
          null,
        );
        assert.equal((await probe.roleRow(a.id, 'ops'))?.description, null);
      }),
    );

    t.it(
      "loadPolicy returns the user's assignments and the tenant's roles with their edges, never another tenant's",
      () =>
        withFixture(make, async ({ store }) => {
          const a = makeTenant();
          const b = makeTenant();
          const user = makeUser();
          await store.tenants.insert(a);
          await store.tenants.insert(b);
          await store.users.insert(user);
          await store.rbac.insertRole(makeRole(a.id, { name: 'base', extends: ['viewer', 'top'] }));
          await store.rbac.insertRole(makeRole(a.id, { name: 'top', extends: ['base'] })); // a cycle
          await store.rbac.insertRole(makeRole(a.id, { name: 'unrelated' }));
          await store.rbac.insertRole(makeRole(b.id, { name: 'secret', permissions: ['*'] }));
          await store.rbac.assign(assignment(a.id, user.id, 'top'));
          await store.rbac.assign(assignment(a.id, user.id, 'secret')); // a name tenant a does not have
          await store.rbac.assign(assignment(b.id, user.id, 'secret'));
          const snap = await store.rbac.loadPolicy(a.id, user.id);
          assert.equal(snap.epoch, await store.rbac.epoch());
          assert.equal(snap.tenant?.id, a.id);
          assert.equal(snap.user?.id, user.id);
          assert.equal(snap.superAdmin, false);
          assert.deepEqual([...snap.assigned].sort(), ['secret', 'top']);
          // every role of the tenant, edges as stored (the domain walks them), none of another tenant
          assert.deepEqual(
            snap.roles.map((r) => [r.name, r.extends]),
            [
              ['base', ['viewer', 'top']],
              ['top', ['base']],
              ['unrelated', []],
            ],
          );
          assert.ok(snap.roles.every((r) => r.tenantId === a.id));
          await store.rbac.setSuperAdmin(user.id, true, 1);
          assert.equal((await store.rbac.loadPolicy(a.id, user.id)).superAdmin, true);
          const missing = await store.rbac.loadPolicy('tnt_missing', 'usr_missing');
          assert.deepEqual(missing.assigned, []);
          assert.equal(missing.tenant, null);
          assert.equal(missing.user, null);
        }),
    );

    t.it('purging a user or a tenant bumps the epoch and leaves none of its grants behind', () =>
      withFixture(make, async ({ store, probe }) => {
        const tenant = makeTenant();
        const other = makeTenant();
        const user = makeUser();
        await store.tenants.insert(tenant);
        await store.tenants.insert(other);
        await store.users.insert(user);
        await store.rbac.insertRole(makeRole(tenant.id, { name: 'ops' }));
        await store.rbac.assign(assignment(tenant.id, user.id, 'ops'));
        await store.rbac.assign(assignment(other.id, user.id, 'viewer'));
        await store.rbac.setSuperAdmin(user.id, true, 1);
        let before = await probe.epochValue();
        assert.equal(await store.tenants.purge(tenant.id), true);
        assert.ok((await probe.epochValue()) > before, 'a tenant purge moves the epoch');
        assert.equal(await probe.roleRow(tenant.id, 'ops'), null);
        assert.deepEqual(await probe.assignmentRows(tenant.id, user.id), []);
        assert.deepEqual(
          (await probe.assignmentRows(other.id, user.id)).map((r) => r.role),
          ['viewer'],
          "another tenant's assignment stays",
        );
        before = await probe.epochValue();
        assert.equal(await store.users.purge(user.id), true);
        assert.ok((await probe.epochValue()) > before, 'a user purge moves the epoch');
        assert.deepEqual(await probe.assignmentRows(other.id, user.id), []);
        assert.equal(await probe.superAdminRow(user.id), false);
        const snap = await store.rbac.loadPolicy(other.id, user.id);
        assert.equal(snap.user, null);
        assert.equal(snap.superAdmin, false);
        assert.deepEqual(snap.assigned, []);
      }),
    );

    t.it(
      'an API key holds roles as a user does: stored without a user row, in its tenant only, kept when a user goes',
      () =>
        withFixture(make, async ({ store, probe }) => {
          const a = makeTenant();
          const b = makeTenant();
          const user = makeUser();
          const key = testId('key'); // an API key id: no user row exists for it
          await store.tenants.insert(a);
          await store.tenants.insert(b);
          await store.users.insert(user);
          await store.rbac.insertRole(makeRole(a.id, { name: 'deployer' }));
          const before = await probe.epochValue();
          assert.equal(await store.rbac.assign(assignment(a.id, key, 'deployer')), true);
          assert.equal(await store.rbac.assign(assignment(a.id, key, 'viewer')), true);
          assert.equal(await probe.epochValue(), before + 2);
          assert.equal(
            await store.rbac.assign(assignment(a.id, key, 'viewer')),
            false,
            'held once per tenant',
          );
          await store.rbac.assign(assignment(a.id, user.id, 'viewer')); // a user holding the same role
          assert.deepEqual(await probe.assignmentRows(a.id, key), [
            assignment(a.id, key, 'deployer'),
            assignment(a.id, key, 'viewer'),
          ]);
          assert.deepEqual(await store.rbac.listAssignments({ tenantId: a.id, userId: key }), [
            assignment(a.id, key, 'deployer'),
            assignment(a.id, key, 'viewer'),
          ]);

          const snap = await store.rbac.loadPolicy(a.id, key);
          assert.deepEqual([...snap.assigned].sort(), ['deployer', 'viewer']);
          assert.equal(snap.user, null);
          assert.equal(snap.superAdmin, false);
          assert.equal(snap.tenant?.id, a.id);
          assert.deepEqual(
            snap.roles.map((r) => r.name),
            ['deployer'],
          );

          // another tenant never sees the key's roles
          assert.deepEqual((await store.rbac.loadPolicy(b.id, key)).assigned, []);
          assert.deepEqual(await store.rbac.listAssignments({ tenantId: b.id }), []);
          assert.deepEqual(await probe.assignmentRows(b.id, key), []);
          assert.equal(await store.rbac.revoke(b.id, key, 'viewer'), false);

          // purging a user removes that user's assignments, and only theirs
          assert.equal(await store.users.purge(user.id), true);
          assert.deepEqual(await probe.assignmentRows(a.id, user.id), []);
          assert.deepEqual(
            (await probe.assignmentRows(a.id, key)).map((r) => r.role),
            ['deployer', 'viewer'],
          );

          assert.equal(await store.rbac.revoke(a.id, key, 'viewer'), true);
          assert.deepEqual((await store.rbac.loadPolicy(a.id, key)).assigned, ['deployer']);
          await store.rbac.assign(assignment(a.id, key, 'viewer'));
          // deleting the role takes the key's assignment of it; purging the tenant takes the rest
          assert.equal(await store.rbac.deleteRole(a.id, 'deployer'), true);
          assert.deepEqual(
            (await probe.assignmentRows(a.id, key)).map((r) => r.role),
            ['viewer'],
          );
          assert.equal(await store.tenants.purge(a.id), true);
          assert.deepEqual(await probe.assignmentRows(a.id, key), []);
        }),
    );

    t.it('concurrent writers each bump the epoch exactly once', () =>
      withFixture(make, async ({ store, probe }) => {
        const tenant = makeTenant();
        await store.tenants.insert(tenant);
        const users = Array.from({ length: 20 }, () => makeUser());
        for (const u of users) await store.users.insert(u);
        const before = await probe.epochValue();
        await Promise.all(
          users.map((u, i) =>
            i % 2 === 0
              ? store.rbac.assign(assignment(tenant.id, u.id, 'viewer'))
              : store.transaction((tx) => tx.rbac.assign(assignment(tenant.id, u.id, 'viewer'))),
          ),
        );
        assert.equal(await probe.epochValue(), before + users.length);
        const listed = await store.rbac.listAssignments({
          tenantId: tenant.id,
        });
        assert.equal(listed.length, users.length);
      }),
    );
  });
}
