import { QuotaExceededError, type StorePorts } from '@ax/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { at, type Env, makeEnv, OPERATOR } from './helpers.js';

describe('quota events', () => {
  let env: Env;
  beforeEach(async () => {
    env = await makeEnv();
  });
  afterEach(() => env.cleanup());

  it('announce denials and reclaimed leases to in-transaction listeners, each with a transaction', async () => {
    const { tenants, quotas, events } = env.tenancy;
    const t = await tenants.create(OPERATOR, { name: 'Acme', slug: 'acme' });
    const seen: unknown[] = [];
    events.inTransaction('quota.exceeded', (e, { tx }) => {
      expect(tx).toBeDefined();
      seen.push(['exceeded', e.quota, e.used, e.limit, e.requested, e.actor.id]);
    });
    events.inTransaction('lease.reclaimed', async (e, { tx }) => {
      // the listener runs in the transaction that reclaimed and acquired: only the new lease is left
      expect((await (tx as StorePorts).quotas.activeLeases(e.tenantId, env.clock.now())).length).toBe(1);
      seen.push(['reclaimed', e.quota, e.count]);
    });
    await quotas.consume(at(t.id), { quota: 'workflows', amount: 5 });
    await expect(
      quotas.consume(at(t.id, { type: 'user', id: 'usr_x' }), { quota: 'workflows', amount: 2 }),
    ).rejects.toBeInstanceOf(QuotaExceededError);
    await quotas.acquireSlot(at(t.id), { ttlMs: 100 });
    await quotas.acquireSlot(at(t.id), { ttlMs: 100 });
    await expect(quotas.acquireSlot(at(t.id), { ttlMs: 100 })).rejects.toBeInstanceOf(QuotaExceededError);
    env.clock.advance(100);
    await quotas.acquireSlot(at(t.id), { ttlMs: 100 });
    expect(seen).toEqual([
      ['exceeded', 'workflows', 5, 5, 2, 'usr_x'],
      ['exceeded', 'concurrentExecutions', 2, 2, 1, 'system'],
      ['reclaimed', 'concurrentExecutions', 2],
    ]);
  });

  it('after-commit listeners see committed changes only, never a rolled-back one', async () => {
    const { tenants, quotas, events } = env.tenancy;
    const t = await tenants.create(OPERATOR, { name: 'Acme', slug: 'acme' });
    const seen: string[] = [];
    events.afterCommit('tenant.suspended', (e) => {
      seen.push(`suspended:${e.reason}`);
    });
    events.afterCommit('quota.exceeded', (e) => {
      seen.push(`exceeded:${e.quota}`);
    });
    await expect(
      env.store.transaction(async (tx) => {
        await tenants.suspend(at(t.id), { reason: 'rolled back' }, { tx });
        throw new Error('caller fails later');
      }),
    ).rejects.toThrow('caller fails later');
    expect(seen).toEqual([]);
    expect((await tenants.get(t.id)).status).toBe('active');
    await tenants.suspend(at(t.id), { reason: 'kept' });
    await quotas.consume(at(t.id), { quota: 'workflows', amount: 5 });
    await expect(quotas.consume(at(t.id), { quota: 'workflows', amount: 1 })).rejects.toBeInstanceOf(
      QuotaExceededError,
    );
    expect(seen).toEqual(['suspended:kept', 'exceeded:workflows']);
  });

  it('a consume, its rollover and its events join the caller’s transaction and roll back with it', async () => {
    const { tenants, quotas, events } = env.tenancy;
    const t = await tenants.create(OPERATOR, { name: 'Acme', slug: 'acme' });
    await quotas.consume(at(t.id), { quota: 'executionsThisMonth', amount: 10 });
    const closed: number[] = [];
    events.inTransaction('quota.periodClosed', (e) => {
      closed.push(e.periodStart);
    });
    env.clock.set(Date.UTC(2026, 1, 2)); // the January period has ended
    const before = env.snapshot();
    await expect(
      env.store.transaction(async (tx) => {
        const r = await quotas.consume(at(t.id), { quota: 'executionsThisMonth', amount: 3 }, { tx });
        expect(r.used).toBe(3);
        throw new Error('a later step fails');
      }),
    ).rejects.toThrow('a later step fails');
    expect(env.snapshot()).toEqual(before); // neither the rollover nor the consume stayed
    expect(closed).toEqual([Date.UTC(2026, 0, 1)]); // the listener ran, in the rolled-back transaction
    const r = await env.store.transaction((tx) =>
      quotas.consume(at(t.id), { quota: 'executionsThisMonth', amount: 3 }, { tx }),
    );
    expect(r).toMatchObject({ used: 3, periodStart: Date.UTC(2026, 1, 1), replayed: false });
    expect((await quotas.history(at(t.id))).map((h) => h.used)).toEqual([10]);
  });
});
