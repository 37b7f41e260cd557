import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChangeEvent, DecisionEvent } from '../src/index.js';
import { type Fixture, fixture } from './helpers.js';

let f: Fixture;
beforeEach(async () => {
  f = await fixture();
});
afterEach(() => f.cleanup());

describe('events', () => {
  it('notifies after-commit listeners of every decision, with the rule, role and reason', async () => {
    const t = await f.tenant();
    const u = await f.member(t.id, ['viewer']);
    const ctx = f.as(t.id, u.id);
    const seen: DecisionEvent[] = [];
    const off = f.rbac.events.afterCommit('decision', (e) => {
      seen.push(e);
    });
    await f.rbac.can(ctx, 'read', 'Workflow');
    await expect(f.rbac.require(ctx, 'delete', 'Workflow')).rejects.toThrow();
    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatchObject({
      allowed: true,
      outcome: 'allowed',
      role: 'viewer',
      permission: 'workflow.read',
      tenantId: t.id,
      whatIf: false,
    });
    expect(seen[0]!.actor).toEqual({ type: 'user', id: u.id });
    expect(seen[0]!.principal).toEqual({ type: 'user', id: u.id });
    expect(seen[1]).toMatchObject({ allowed: false, outcome: 'denied', rule: null, source: 'default' });
    off();
    await f.rbac.can(ctx, 'read', 'Workflow');
    expect(seen).toHaveLength(2);
    expect(f.rbac.events.has('decision')).toBe(false);
  });

  it('a throwing decision listener does not change the decision; its error goes to onListenerError', async () => {
    const errors: unknown[] = [];
    const g = await fixture({ onListenerError: (err) => errors.push(err) });
    try {
      const t = await g.tenant();
      const u = await g.member(t.id, ['viewer']);
      g.rbac.events.afterCommit('decision', () => {
        throw new Error('listener bug');
      });
      expect(await g.rbac.can(g.as(t.id, u.id), 'read', 'Workflow')).toBe(true);
      expect(errors).toHaveLength(1);
    } finally {
      await g.cleanup();
    }
  });

  it('emits changes inside the transaction: a listener that throws rolls the change back', async () => {
    const t = await f.tenant();
    const u = await f.user();
    const changes: ChangeEvent[] = [];
    const off = f.rbac.events.inTransaction('change', async (e, { tx }) => {
      changes.push(e);
      // the listener sees the change through the transaction's ports
      if (e.type === 'role.assigned') {
        expect(await tx.rbac.listAssignments({ tenantId: t.id, userId: u.id })).toHaveLength(1);
      }
    });
    await f.rbac.assign(f.as(t.id), { userId: u.id, role: 'viewer' });
    expect(changes.map((c) => [c.type, c.actor.type, c.target])).toEqual([
      ['role.assigned', 'system', { userId: u.id, role: 'viewer' }],
    ]);
    off();
    f.rbac.events.inTransaction('change', () => {
      throw new Error('audit is down');
    });
    await expect(f.rbac.revoke(f.as(t.id), { userId: u.id, role: 'viewer' })).rejects.toThrow(
      'audit is down',
    );
    expect(await f.store.rbac.listAssignments({ tenantId: t.id, userId: u.id })).toHaveLength(1);
    expect(await f.rbac.can(f.as(t.id, u.id), 'read', 'Workflow')).toBe(true);
  });

  it('after-commit change listeners run once the change committed, never for a rolled-back one', async () => {
    const t = await f.tenant();
    const u = await f.user();
    const committed: string[] = [];
    f.rbac.events.afterCommit('change', (e) => {
      committed.push(e.type);
    });
    await f.rbac.assign(f.as(t.id), { userId: u.id, role: 'viewer' });
    expect(committed).toEqual(['role.assigned']);
    const off = f.rbac.events.inTransaction('change', () => {
      throw new Error('audit is down');
    });
    await expect(f.rbac.revoke(f.as(t.id), { userId: u.id, role: 'viewer' })).rejects.toThrow();
    off();
    expect(committed).toEqual(['role.assigned']);
  });

  it("joins the caller's transaction with { tx }: the change commits or rolls back with the caller's work", async () => {
    const t = await f.tenant();
    const u = await f.user();
    const committed: string[] = [];
    f.rbac.events.afterCommit('change', (e) => {
      committed.push(e.type);
    });
    await expect(
      f.store.transaction(async (tx) => {
        await f.rbac.assign(f.as(t.id), { userId: u.id, role: 'viewer' }, { tx });
        throw new Error('caller failed later');
      }),
    ).rejects.toThrow('caller failed later');
    expect(await f.store.rbac.listAssignments({ tenantId: t.id, userId: u.id })).toHaveLength(0);
    expect(await f.rbac.can(f.as(t.id, u.id), 'read', 'Workflow')).toBe(false);
    expect(committed).toEqual([]); // never told of the caller's rolled-back transaction
    await f.store.transaction((tx) => f.rbac.assign(f.as(t.id), { userId: u.id, role: 'viewer' }, { tx }));
    expect(committed).toEqual(['role.assigned']);
    expect(await f.rbac.can(f.as(t.id, u.id), 'read', 'Workflow')).toBe(true);
  });
});
