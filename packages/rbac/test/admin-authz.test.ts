import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Fixture, fixture } from './helpers.js';

let f: Fixture;
beforeEach(async () => {
  f = await fixture();
});
afterEach(() => f.cleanup());

describe('platform administration', () => {
  it('a suspended super-admin cannot lift its own suspension, nor grant the flag', async () => {
    const t = await f.tenant();
    const root = await f.user();
    const friend = await f.user();
    await f.rbac.setSuperAdmin(f.as(t.id), { userId: root.id, superAdmin: true });
    await f.rbac.suspendUser(f.as(t.id), { userId: root.id });
    const ctx = f.as(t.id, root.id);
    expect(await f.rbac.can(ctx, 'read', 'Workflow')).toBe(false);
    for (const attempt of [
      () => f.rbac.activateUser(ctx, { userId: root.id }),
      () => f.rbac.setSuperAdmin(ctx, { userId: friend.id, superAdmin: true }),
      () => f.rbac.suspendUser(ctx, { userId: friend.id }),
    ]) {
      await expect(attempt()).rejects.toMatchObject({
        code: 'FORBIDDEN',
        details: { denial: 'super-admin-required' },
      });
    }
    expect((await f.store.users.get(root.id))?.status).toBe('suspended');
    expect(await f.store.rbac.listSuperAdmins()).toEqual([root.id]);
    // an active super-admin may, whatever tenant its context names
    await f.rbac.activateUser(f.as(t.id), { userId: root.id });
    await f.rbac.suspendUser(ctx, { userId: friend.id });
    expect((await f.store.users.get(friend.id))?.status).toBe('suspended');
  });
});

describe('conditions and fields on the administrative permissions are honoured', () => {
  it('role.assign limited by a condition on the role name assigns only those roles', async () => {
    const t = await f.tenant();
    await f.rbac.createRole(f.as(t.id), {
      name: 'onboarder',
      permissions: ['user.write'],
      extends: ['developer'], // holds everything viewer and developer grant
      rules: [{ action: 'assign', subject: 'Role', conditions: { name: 'viewer' } }],
    });
    const onboarder = await f.member(t.id, ['onboarder']);
    const ctx = f.as(t.id, onboarder.id);
    const target = await f.user();
    await expect(f.rbac.assign(ctx, { userId: target.id, role: 'developer' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      details: { denial: 'missing-permission', permission: 'role.assign' },
    });
    await expect(
      f.rbac.createUser(ctx, { email: 'd@example.test', role: 'developer' }),
    ).rejects.toMatchObject({ details: { denial: 'missing-permission', permission: 'role.assign' } });
    expect(await f.store.rbac.listAssignments({ tenantId: t.id, userId: target.id })).toEqual([]);
    expect(await f.rbac.assign(ctx, { userId: target.id, role: 'viewer' })).toBe(true);
    expect(await f.rbac.revoke(ctx, { userId: target.id, role: 'viewer' })).toBe(true);
  });

  it('role.write limited by a condition or to some fields changes only that', async () => {
    const t = await f.tenant();
    const sys = f.as(t.id);
    await f.rbac.createRole(sys, { name: 'team-a', permissions: ['workflow.read'] });
    await f.rbac.createRole(sys, { name: 'team-b', permissions: ['workflow.read'] });
    await f.rbac.createRole(sys, {
      name: 'lead-a',
      permissions: ['workflow.read', 'workflow.write'],
      rules: [
        { action: 'write', subject: 'Role', conditions: { name: 'team-a' } },
        { action: 'write', subject: 'Role', fields: ['description'] },
        { action: 'read', subject: 'Role', conditions: { name: { $in: ['team-a', 'viewer'] } } },
      ],
    });
    const lead = await f.member(t.id, ['lead-a']);
    const ctx = f.as(t.id, lead.id);
    // any role's description
    expect((await f.rbac.updateRole(ctx, { name: 'team-b', description: 'b team' })).description).toBe(
      'b team',
    );
    // but the grants of team-a only
    await expect(
      f.rbac.updateRole(ctx, { name: 'team-b', permissions: ['workflow.read', 'workflow.write'] }),
    ).rejects.toMatchObject({
      code: 'FORBIDDEN',
      details: { denial: 'missing-permission', permission: 'role.write', field: 'permissions' },
    });
    await expect(f.rbac.deleteRole(ctx, { name: 'team-b' })).rejects.toMatchObject({
      details: { denial: 'missing-permission', permission: 'role.write' },
    });
    await expect(f.rbac.createRole(ctx, { name: 'team-c', permissions: [] })).rejects.toMatchObject({
      details: { denial: 'missing-permission', permission: 'role.write' },
    });
    expect((await f.store.rbac.getRole(t.id, 'team-b'))?.permissions).toEqual(['workflow.read']);
    const a = await f.rbac.updateRole(ctx, {
      name: 'team-a',
      permissions: ['workflow.read', 'workflow.write'],
    });
    expect(a.permissions).toEqual(['workflow.read', 'workflow.write']);
    // role.read limited to some roles shows only those
    expect((await f.rbac.listRoles(ctx)).map((r) => r.name).sort()).toEqual(['team-a', 'viewer']);
    await expect(f.rbac.getRole(ctx, { name: 'team-b' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const member = await f.member(t.id, ['team-a', 'team-b']);
    expect((await f.rbac.listAssignments(ctx, { userId: member.id })).map((x) => x.role)).toEqual(['team-a']);
  });
});
