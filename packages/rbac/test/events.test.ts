import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChangeEvent, DecisionEvent } from '../src/index.js';
import { type Fixture, fixture } from './helpers.js';

let f: Fixture;
beforeEach(async () => {
  f = await fixture();
});
afterEach(() => f.cleanup());

describe('events', () => {
  it('emits a decision for every check, with the rule, role and reason', async () => {
    const t = await f.tenant();
    const u = await f.member(t.id, ['viewer']);
    const ctx = f.as(t.id, u.id);
    const seen: DecisionEvent[] = [];
    const off = f.rbac.events.on('decision', (e) => {
      seen.push(e);
    });
    await f.rbac.can(ctx, 'read', 'Workflow');
    await expect(f.rbac.require(ctx, 'delete', 'Workflow')).rejects.toThrow();
    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatchObject({
      allowed: true,
      role: 'viewer',
      permission: 'workflow.read',
      tenantId: t.id,
    });
    expect(seen[0]!.actor).toEqual({ type: 'user', id: u.id });
    expect(seen[1]).toMatchObject({ allowed: false, rule: null, source: 'default' });
    off();
    await f.rbac.can(ctx, 'read', 'Workflow');
    expect(seen).toHaveLength(2);
    expect(f.rbac.events.has('decision')).toBe(false);
  });

  it('a throwing decision listener does not change the decision', async () => {
    const t = await f.tenant();
    const u = await f.member(t.id, ['viewer']);
    f.rbac.events.on('decision', () => {
      throw new Error('listener bug');
    });
    expect(await f.rbac.can(f.as(t.id, u.id), 'read', 'Workflow')).toBe(true);
  });

  it('emits changes inside the transaction: a listener that throws rolls the change back', async () => {
    const t = await f.tenant();
    const u = await f.user();
    const changes: ChangeEvent[] = [];
    const off = f.rbac.events.on('change', async (e) => {
      changes.push(e);
      // the listener sees the change through the transaction's ports
      if (e.type === 'role.assigned') {
        expect(await e.tx.rbac.listAssignments({ tenantId: t.id, userId: u.id })).toHaveLength(1);
      }
    });
    await f.rbac.assign(f.as(t.id), { userId: u.id, role: 'viewer' });
    expect(changes.map((c) => [c.type, c.actor.type, c.target])).toEqual([
      ['role.assigned', 'system', { userId: u.id, role: 'viewer' }],
    ]);
    off();
    f.rbac.events.on('change', () => {
      throw new Error('audit is down');
    });
    await expect(f.rbac.revoke(f.as(t.id), { userId: u.id, role: 'viewer' })).rejects.toThrow(
      'audit is down',
    );
    expect(await f.store.rbac.listAssignments({ tenantId: t.id, userId: u.id })).toHaveLength(1);
    expect(await f.rbac.can(f.as(t.id, u.id), 'read', 'Workflow')).toBe(true);
  });
});
