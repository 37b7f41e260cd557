import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Fixture, fixture } from './helpers.js';

let f: Fixture;
beforeEach(async () => {
  f = await fixture();
});
afterEach(() => f.cleanup());

describe('privilege escalation is refused, with the error code', () => {
  async function roleManager() {
    const t = await f.tenant();
    // can assign roles and write them, and holds workflow.* and agent.read, but not `*`
    await f.rbac.createRole(f.as(t.id), {
      name: 'manager',
      permissions: ['role.assign', 'role.write', 'role.read', 'user.write', 'workflow.*', 'agent.read'],
    });
    const manager = await f.member(t.id, ['manager']);
    const target = await f.user();
    return { t, ctx: f.as(t.id, manager.id), target };
  }

  it('role.assign without `*` cannot assign admin', async () => {
    const { t, ctx, target } = await roleManager();
    await expect(f.rbac.assign(ctx, { userId: target.id, role: 'admin' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      details: { denial: 'privilege-escalation', missing: '*' },
    });
    expect(await f.store.rbac.listAssignments({ tenantId: t.id, userId: target.id })).toEqual([]);
  });

  it('cannot assign a role with permissions it does not hold, nor create or widen one', async () => {
    const { t, ctx, target } = await roleManager();
    await f.rbac.createRole(f.as(t.id), { name: 'secrets', permissions: ['secret.read'] });
    await expect(f.rbac.assign(ctx, { userId: target.id, role: 'secrets' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      details: { denial: 'privilege-escalation' },
    });
    await expect(f.rbac.assign(ctx, { userId: target.id, role: 'auditor' })).rejects.toMatchObject({
      details: { denial: 'privilege-escalation' },
    });
    // through a hierarchy
    await expect(f.rbac.createRole(ctx, { name: 'sneaky', extends: ['secrets'] })).rejects.toMatchObject({
      details: { denial: 'privilege-escalation' },
    });
    // through a raw rule
    await expect(
      f.rbac.createRole(ctx, {
        name: 'sneaky2',
        rules: [{ action: 'read', subject: ['Workflow', 'Secret'] }],
      }),
    ).rejects.toMatchObject({ details: { denial: 'privilege-escalation' } });
    // widening an existing role
    await f.rbac.createRole(ctx, { name: 'mine', permissions: ['workflow.read'] });
    await expect(
      f.rbac.updateRole(ctx, { name: 'mine', permissions: ['workflow.read', 'tenant.suspend'] }),
    ).rejects.toMatchObject({
      details: { denial: 'privilege-escalation' },
    });
    // creating a user straight into a role it does not hold
    await expect(f.rbac.createUser(ctx, { email: 'x@example.test', role: 'admin' })).rejects.toMatchObject({
      details: { denial: 'privilege-escalation' },
    });
    expect(await f.store.users.getByEmail('x@example.test')).toBeNull();
    // what it does hold, it may grant
    await f.rbac.createRole(ctx, { name: 'runner', permissions: ['workflow.execute'], extends: ['mine'] });
    expect(await f.rbac.assign(ctx, { userId: target.id, role: 'runner' })).toBe(true);
  });

  it('a conditional grant is not "holding" the permission', async () => {
    const t = await f.tenant();
    await f.rbac.createRole(f.as(t.id), {
      name: 'own-only',
      permissions: ['role.assign'],
      rules: [{ action: 'delete', subject: 'Workflow', conditions: { ownerId: '${user.id}' } }],
    });
    await f.rbac.createRole(f.as(t.id), { name: 'deleter', permissions: ['workflow.delete'] });
    const u = await f.member(t.id, ['own-only']);
    const target = await f.user();
    await expect(
      f.rbac.assign(f.as(t.id, u.id), { userId: target.id, role: 'deleter' }),
    ).rejects.toMatchObject({
      details: { denial: 'privilege-escalation' },
    });
  });

  it('without role.assign nothing can be assigned, and revoking needs what the role grants', async () => {
    const t = await f.tenant();
    const viewer = await f.member(t.id, ['viewer']);
    await expect(
      f.rbac.assign(f.as(t.id, viewer.id), { userId: viewer.id, role: 'viewer' }),
    ).rejects.toMatchObject({
      code: 'FORBIDDEN',
      details: { denial: 'missing-permission', permission: 'role.assign' },
    });
    const m = await roleManager();
    const theirAdmin = await f.member(m.t.id, ['admin']);
    await expect(f.rbac.revoke(m.ctx, { userId: theirAdmin.id, role: 'admin' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      details: { denial: 'privilege-escalation' },
    });
    expect((await f.store.rbac.listAssignments({ tenantId: m.t.id, userId: theirAdmin.id })).length).toBe(1);
  });

  it('cannot rewrite a role that grants more than it holds, not even to narrow it', async () => {
    const { t, ctx } = await roleManager();
    await f.rbac.createRole(f.as(t.id), { name: 'owners', permissions: ['*'] });
    const owner = await f.member(t.id, ['owners']);
    for (const patch of [{ permissions: [] }, { permissions: ['workflow.read'] }, { description: 'gone' }]) {
      await expect(f.rbac.updateRole(ctx, { name: 'owners', ...patch })).rejects.toMatchObject({
        code: 'FORBIDDEN',
        details: { denial: 'privilege-escalation', missing: '*' },
      });
    }
    expect((await f.store.rbac.getRole(t.id, 'owners'))?.permissions).toEqual(['*']);
    expect(await f.rbac.can(f.as(t.id, owner.id), 'delete', 'Secret')).toBe(true);
  });

  it('a deny binds: an admin narrowed by a deny role can neither shed it nor hand out what it denies', async () => {
    const t = await f.tenant();
    await f.rbac.createRole(f.as(t.id), {
      name: 'no-secret-delete',
      rules: [{ action: 'delete', subject: 'Secret', inverted: true, reason: 'two-person rule' }],
    });
    const narrowed = await f.member(t.id, ['admin', 'no-secret-delete']);
    const ctx = f.as(t.id, narrowed.id);
    const puppet = await f.user();
    expect(await f.rbac.can(ctx, 'delete', 'Secret')).toBe(false);
    const refused = { code: 'FORBIDDEN', details: { denial: 'privilege-escalation' } };
    // shedding the deny: revoking it, deleting it, or rewriting the role without it
    await expect(f.rbac.revoke(ctx, { userId: narrowed.id, role: 'no-secret-delete' })).rejects.toMatchObject(
      refused,
    );
    await expect(f.rbac.deleteRole(ctx, { name: 'no-secret-delete' })).rejects.toMatchObject(refused);
    await expect(f.rbac.updateRole(ctx, { name: 'no-secret-delete', rules: [] })).rejects.toMatchObject(
      refused,
    );
    // handing out what the deny takes away: `*`, `secret.*`, or the very permission
    await expect(f.rbac.assign(ctx, { userId: puppet.id, role: 'admin' })).rejects.toMatchObject({
      details: { denial: 'privilege-escalation', missing: '*' },
    });
    await expect(
      f.rbac.createRole(ctx, { name: 'secrets', permissions: ['secret.*'] }),
    ).rejects.toMatchObject(refused);
    await expect(
      f.rbac.createRole(ctx, { name: 'deleter', permissions: ['secret.delete'] }),
    ).rejects.toMatchObject(refused);
    expect(await f.rbac.can(f.as(t.id, narrowed.id), 'delete', 'Secret')).toBe(false);
    expect(await f.store.rbac.listAssignments({ tenantId: t.id, userId: puppet.id })).toEqual([]);
    // what it does hold it may still grant, and an admin without the deny may lift it
    await f.rbac.createRole(ctx, { name: 'readers', permissions: ['secret.read', 'workflow.*'] });
    const free = await f.member(t.id, ['admin']);
    expect(await f.rbac.revoke(f.as(t.id, free.id), { userId: narrowed.id, role: 'no-secret-delete' })).toBe(
      true,
    );
  });

  it('system roles cannot be updated, deleted or shadowed, even by an admin', async () => {
    const t = await f.tenant();
    const admin = await f.member(t.id, ['admin']);
    const ctx = f.as(t.id, admin.id);
    for (const attempt of [
      () => f.rbac.updateRole(ctx, { name: 'viewer', permissions: ['*'] }),
      () => f.rbac.deleteRole(ctx, { name: 'auditor' }),
      () => f.rbac.createRole(ctx, { name: 'admin', permissions: ['workflow.read'] }),
      () => f.rbac.updateRole(f.as(t.id), { name: 'developer', permissions: ['*'] }),
    ]) {
      await expect(attempt()).rejects.toMatchObject({
        code: 'FORBIDDEN',
        details: { denial: 'system-role-immutable' },
      });
    }
  });

  it('isSystemRole (or any unknown key) smuggled in through input is refused', async () => {
    const t = await f.tenant();
    const ctx = f.as(t.id);
    const err = await f.rbac
      .createRole(ctx, { name: 'fake', permissions: ['workflow.read'], isSystemRole: true } as never)
      .catch((e) => e);
    expect(err).toMatchObject({ code: 'VALIDATION' });
    expect(err.issues[0].code).toBe('unrecognized_keys');
    await f.rbac.createRole(ctx, { name: 'real', permissions: ['workflow.read'] });
    await expect(f.rbac.updateRole(ctx, { name: 'real', system: true } as never)).rejects.toMatchObject({
      code: 'VALIDATION',
    });
    expect((await f.rbac.getRole(ctx, { name: 'real' })).system).toBe(false);
  });
});
