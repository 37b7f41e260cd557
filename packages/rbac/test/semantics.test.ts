import { createIdGenerator, type ExecutionContext } from '@ax/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DecisionEvent } from '../src/index.js';
import { type Fixture, fixture } from './helpers.js';

let f: Fixture;
beforeEach(async () => {
  f = await fixture();
});
afterEach(() => f.cleanup());

async function authorOfOwn(tenantId: string) {
  await f.rbac.createRole(f.as(tenantId), {
    name: 'author',
    permissions: ['workflow.read'],
    rules: [{ action: 'write', subject: 'Workflow', conditions: { ownerId: '${user.id}' } }],
  });
  return f.member(tenantId, ['author']);
}

describe('has and check', () => {
  it('has() is true only for an unconditional grant; check() answers conditional with the conditions', async () => {
    const t = await f.tenant();
    const author = await authorOfOwn(t.id);
    const dev = await f.member(t.id, ['developer']);
    const ctx = f.as(t.id, author.id);
    expect(await f.rbac.has(ctx, 'workflow.write')).toBe(false);
    expect(await f.rbac.hasAny(ctx, ['workflow.write'])).toBe(false);
    expect(await f.rbac.has(ctx, 'workflow.read')).toBe(true);
    expect(await f.rbac.has(f.as(t.id, dev.id), 'workflow.write')).toBe(true);

    const open = await f.rbac.check(ctx, 'workflow.write');
    expect(open).toMatchObject({
      decision: 'conditional',
      permission: 'workflow.write',
      conditions: { op: 'eq', field: 'ownerId', value: author.id },
    });
    expect((await f.rbac.check(ctx, 'workflow.write', { ownerId: author.id })).decision).toBe('allowed');
    expect((await f.rbac.check(ctx, 'workflow.write', { ownerId: dev.id })).decision).toBe('denied');
    expect((await f.rbac.check(ctx, 'workflow.delete')).decision).toBe('denied');
    expect((await f.rbac.check(f.as(t.id, dev.id), 'workflow.write')).decision).toBe('allowed');
    // the permission set answers the same, synchronously
    const perms = await f.rbac.permissions(ctx);
    expect(perms.has('workflow.write')).toBe(false);
    expect(perms.check('workflow.write').decision).toBe('conditional');
  });

  it('a grant narrowed by a field deny is conditional, not unconditional', async () => {
    const t = await f.tenant();
    await f.rbac.createRole(f.as(t.id), {
      name: 'editor',
      permissions: ['workflow.write'],
      rules: [{ action: 'write', subject: 'Workflow', fields: ['ownerId'], inverted: true }],
    });
    const u = await f.member(t.id, ['editor']);
    expect(await f.rbac.has(f.as(t.id, u.id), 'workflow.write')).toBe(false);
    expect(await f.rbac.check(f.as(t.id, u.id), 'workflow.write')).toMatchObject({
      decision: 'conditional',
      deniedFields: ['ownerId'],
    });
  });
});

describe('a suspended or deleted tenant', () => {
  it('every refusing path reports TENANT_SUSPENDED with the reason, never FORBIDDEN', async () => {
    const t = await f.tenant();
    const admin = await f.member(t.id, ['admin']);
    const viewer = await f.member(t.id, ['viewer']);
    await f.store.tenants.update(t.id, { status: 'suspended', statusReason: 'unpaid', updatedAt: 1 });
    f.rbac.invalidate();
    const ctx = f.as(t.id, admin.id);
    const suspended = { code: 'TENANT_SUSPENDED', details: { tenantId: t.id, reason: 'unpaid' } };
    await expect(f.rbac.require(ctx, 'read', 'Workflow')).rejects.toMatchObject(suspended);
    await expect(f.rbac.check(ctx, 'workflow.read')).rejects.toMatchObject(suspended);
    await expect(
      f.rbac.createRole(ctx, { name: 'xx', permissions: ['workflow.read'] }),
    ).rejects.toMatchObject(suspended);
    await expect(f.rbac.assign(ctx, { userId: viewer.id, role: 'viewer' })).rejects.toMatchObject(suspended);
    await expect(f.rbac.listRoles(ctx)).rejects.toMatchObject(suspended);
    await expect(
      f.rbac.checkFor(ctx, { type: 'user', id: viewer.id }, 'workflow.read'),
    ).rejects.toMatchObject(suspended);
    const perms = await f.rbac.permissions(ctx);
    expect(() => perms.require('read', 'Workflow')).toThrow(expect.objectContaining(suspended));
    expect(await f.rbac.can(ctx, 'read', 'Workflow')).toBe(false);

    await f.store.tenants.update(t.id, { status: 'deleted', statusReason: null, updatedAt: 2 });
    f.rbac.invalidate();
    await expect(f.rbac.require(ctx, 'read', 'Workflow')).rejects.toMatchObject({
      code: 'TENANT_SUSPENDED',
    });
  });
});

describe('what-if checks (checkFor)', () => {
  it("records the asking actor, with the subject as principal; never the subject's own denial", async () => {
    const t = await f.tenant();
    const admin = await f.member(t.id, ['admin']);
    const viewer = await f.member(t.id, ['viewer']);
    const seen: DecisionEvent[] = [];
    f.rbac.events.afterCommit('decision', (e) => {
      seen.push(e);
    });
    const result = await f.rbac.checkFor(
      f.as(t.id, admin.id),
      { type: 'user', id: viewer.id },
      'secret.read',
    );
    expect(result.decision).toBe('denied');
    const about = seen.filter((e) => e.whatIf);
    expect(about).toHaveLength(1);
    expect(about[0]).toMatchObject({
      actor: { type: 'user', id: admin.id },
      principal: { type: 'user', id: viewer.id },
      allowed: false,
      outcome: 'denied',
    });
    // no event presents the viewer as the actor of a denied check
    expect(seen.some((e) => e.actor.id === viewer.id)).toBe(false);
  });

  it('asking about someone else needs role.read; asking about oneself does not', async () => {
    const t = await f.tenant();
    await f.rbac.createRole(f.as(t.id), { name: 'runner', permissions: ['workflow.execute'] });
    const runner = await f.member(t.id, ['runner']);
    const viewer = await f.member(t.id, ['viewer']);
    const ctx = f.as(t.id, runner.id);
    await expect(
      f.rbac.checkFor(ctx, { type: 'user', id: viewer.id }, 'workflow.read'),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect((await f.rbac.checkFor(ctx, { type: 'user', id: runner.id }, 'workflow.execute')).decision).toBe(
      'allowed',
    );
  });
});

describe('API key actors', () => {
  it('hold roles in their tenant as users do, never super-admin, and never share a cache entry with a user', async () => {
    const t = await f.tenant();
    const other = await f.tenant();
    const keyId = createIdGenerator().next('apiKey');
    expect(await f.rbac.assign(f.as(t.id), { apiKeyId: keyId, role: 'developer' })).toBe(true);
    const key: ExecutionContext = { tenantId: t.id, actor: { type: 'apiKey', id: keyId } };
    expect(await f.rbac.can(key, 'execute', 'Workflow')).toBe(true);
    expect(await f.rbac.has(key, 'secret.read')).toBe(true);
    expect(await f.rbac.can(key, 'delete', 'Secret')).toBe(false);
    expect((await f.rbac.effectiveRoles(key)).roles).toEqual(['developer']);
    // the key holds nothing in another tenant
    const elsewhere: ExecutionContext = { tenantId: other.id, actor: { type: 'apiKey', id: keyId } };
    expect(await f.rbac.can(elsewhere, 'execute', 'Workflow')).toBe(false);
    // a user with the same id (no such user) answers from its own entry, not the key's
    const sameIdUser: ExecutionContext = { tenantId: t.id, actor: { type: 'user', id: keyId } };
    expect(await f.rbac.can(sameIdUser, 'execute', 'Workflow')).toBe(false);
    expect(await f.rbac.can(key, 'execute', 'Workflow')).toBe(true);
    // revoking the role takes it away
    expect(await f.rbac.revoke(f.as(t.id), { apiKeyId: keyId, role: 'developer' })).toBe(true);
    expect(await f.rbac.can(key, 'execute', 'Workflow')).toBe(false);
    // a suspended tenant stops the key too
    await f.rbac.assign(f.as(t.id), { apiKeyId: keyId, role: 'developer' });
    await f.store.tenants.update(t.id, { status: 'suspended', statusReason: 'abuse', updatedAt: 1 });
    f.rbac.invalidate();
    await expect(f.rbac.require(key, 'execute', 'Workflow')).rejects.toMatchObject({
      code: 'TENANT_SUSPENDED',
    });
  });

  it("an API key actor naming a user's id gets nothing of that user's roles", async () => {
    const t = await f.tenant();
    const u = await f.member(t.id, ['admin']);
    const keyCtx: ExecutionContext = { tenantId: t.id, actor: { type: 'apiKey', id: u.id } };
    expect(await f.rbac.can(keyCtx, 'read', 'Workflow')).toBe(false);
  });

  it('are assigned roles by key id (apiKeyId), validated as a key id', async () => {
    const t = await f.tenant();
    const changes: Record<string, string>[] = [];
    f.rbac.events.inTransaction('change', (e) => {
      changes.push(e.target);
    });
    const keyId = createIdGenerator().next('apiKey');
    expect(await f.rbac.assign(f.as(t.id), { apiKeyId: keyId, role: 'viewer' })).toBe(true);
    expect(await f.store.rbac.listAssignments({ tenantId: t.id, userId: keyId })).toMatchObject([
      { tenantId: t.id, userId: keyId, role: 'viewer' },
    ]);
    expect(changes).toEqual([{ apiKeyId: keyId, role: 'viewer' }]);
    await expect(f.rbac.assign(f.as(t.id), { apiKeyId: 'usr_x', role: 'viewer' })).rejects.toMatchObject({
      code: 'VALIDATION',
    });
  });
});

describe('has() agrees with check()', () => {
  it('with and without a decision listener, for every built-in permission and several role shapes', async () => {
    const t = await f.tenant();
    await f.rbac.createRole(f.as(t.id), {
      name: 'mixed',
      permissions: ['secret.read', 'secret.delete', 'agent.read'],
      rules: [
        // biome-ignore lint/suspicious/noTemplateCurlyInString: rbac's placeholder, not a template
        { action: 'write', subject: 'Workflow', conditions: { ownerId: '${user.id}' } },
        { action: 'delete', subject: 'Secret', inverted: true },
        { action: 'read', subject: 'Agent', fields: ['secretNotes'], inverted: true },
        { action: 'read', subject: 'Quota', fields: ['used'] },
        { action: 'read', subject: 'Secret', conditions: { tier: 'top' }, inverted: true },
      ],
    });
    const users = [
      await f.member(t.id, ['mixed']),
      await f.member(t.id, ['developer']),
      await f.member(t.id, ['admin', 'mixed']),
    ];
    for (const u of users) {
      const ctx = f.as(t.id, u.id);
      for (const p of f.rbac.catalog.permissions()) {
        const quiet = await f.rbac.has(ctx, p);
        const checked = (await f.rbac.check(ctx, p)).decision === 'allowed';
        const off = f.rbac.events.afterCommit('decision', () => undefined);
        const observed = await f.rbac.has(ctx, p);
        off();
        expect([p, quiet, observed]).toEqual([p, checked, checked]);
      }
    }
  });
});
