import {
  ConflictError,
  NotFoundError,
  QuotaExceededError,
  type StorePorts,
  TenantSuspendedError,
  ValidationError,
} from '@ax/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BUILT_IN_PLANS } from '../src/index.js';
import { at, type Env, makeEnv, quotaRow, OPERATOR } from './helpers.js';

let env: Env;
beforeEach(async () => {
  env = await makeEnv();
});
afterEach(() => env.cleanup());

describe('TenantService', () => {
  it('creates a tenant with its plan’s quotas in storage', async () => {
    const { tenants } = env.tenancy;
    const t = await tenants.create(OPERATOR, { name: 'Acme', slug: 'acme', plan: 'pro' });
    expect(t).toMatchObject({
      slug: 'acme',
      name: 'Acme',
      plan: 'pro',
      status: 'active',
      billingAnchorDay: null,
    });
    const rows = env.raw
      .prepare(
        'SELECT quota, quota_limit, kind, enforcement, used FROM ax_quotas WHERE tenant_id = ? ORDER BY quota',
      )
      .all(t.id);
    const pro = BUILT_IN_PLANS.find((p) => p.name === 'pro')!;
    expect(rows).toEqual(
      Object.entries(pro.limits)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([quota, limit]) =>
          expect.objectContaining({ quota, quota_limit: limit, used: 0, enforcement: 'hard' }),
        ),
    );
    expect(quotaRow(env.raw, t.id, 'executionsThisMonth')).toMatchObject({
      period_start: Date.UTC(2026, 0, 1),
      period_end: Date.UTC(2026, 1, 1),
    });
  });

  it('keeps the seed design’s figures', () => {
    const byName = Object.fromEntries(BUILT_IN_PLANS.map((p) => [p.name, p.limits]));
    expect(byName.free).toEqual({
      workflows: 5,
      executionsThisMonth: 100,
      concurrentExecutions: 2,
      storageBytes: 100 * 1024 * 1024,
      apiCallsThisMonth: 1000,
    });
    expect(byName.pro).toEqual({
      workflows: 50,
      executionsThisMonth: 10_000,
      concurrentExecutions: 10,
      storageBytes: 1024 * 1024 * 1024,
      apiCallsThisMonth: 100_000,
    });
    expect(byName.enterprise).toEqual({
      workflows: -1,
      executionsThisMonth: -1,
      concurrentExecutions: 50,
      storageBytes: -1,
      apiCallsThisMonth: -1,
    });
  });

  it('rejects bad slugs and names, and a taken slug, writing nothing', async () => {
    const { tenants } = env.tenancy;
    await tenants.create(OPERATOR, { name: 'Acme', slug: 'acme' });
    const before = env.snapshot();
    for (const slug of ['Acme', 'ab', 'a'.repeat(64), 'has space', '-lead', "x'; DROP TABLE tenants;--"]) {
      await expect(tenants.create(OPERATOR, { name: 'X', slug })).rejects.toBeInstanceOf(ValidationError);
    }
    await expect(tenants.create(OPERATOR, { name: '  ', slug: 'fine' })).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(
      tenants.create(OPERATOR, { name: 'X', slug: 'other', plan: 'platinum' }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(tenants.create(OPERATOR, { name: 'Dup', slug: 'acme' })).rejects.toBeInstanceOf(
      ConflictError,
    );
    expect(env.snapshot()).toEqual(before);
  });

  it('creates the tenant and its quotas in one transaction', async () => {
    const { tenants, events } = env.tenancy;
    events.inTransaction('tenant.created', () => {
      throw new Error('listener fails after the writes');
    });
    const before = env.snapshot();
    await expect(tenants.create(OPERATOR, { name: 'Acme', slug: 'acme' })).rejects.toThrow('listener fails');
    expect(env.snapshot()).toEqual(before);
  });

  it('gets by id or slug, and pages with a cursor', async () => {
    const { tenants } = env.tenancy;
    const made = [];
    for (let i = 0; i < 7; i++)
      made.push(await tenants.create(OPERATOR, { name: `T${i}`, slug: `tenant-${i}` }));
    expect(await tenants.get(made[2]!.id)).toEqual(made[2]);
    expect(await tenants.get('tenant-3')).toEqual(made[3]);
    await expect(tenants.get('nobody')).rejects.toBeInstanceOf(NotFoundError);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await tenants.list({ limit: 3, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((t) => t.id));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(seen).toEqual(made.map((t) => t.id));
    await expect(tenants.list({ limit: 0 })).rejects.toBeInstanceOf(ValidationError);
  });

  it('suspends with a reason, requireActive refuses, activate restores; events carry the transaction', async () => {
    const { tenants, events } = env.tenancy;
    const seen: string[] = [];
    events.inTransaction('tenant.suspended', async (e, { tx }) => {
      expect(tx).toBeDefined();
      // the listener writes in the same transaction: it sees the suspension already
      expect((await (tx as StorePorts).tenants.get(e.tenant.id))?.status).toBe('suspended');
      seen.push(`suspended:${e.reason}:${e.actor.id}`);
    });
    events.inTransaction('tenant.activated', (e) => {
      seen.push(`activated:${e.previousStatus}`);
    });
    const t = await tenants.create(OPERATOR, { name: 'Acme', slug: 'acme' });
    await tenants.requireActive(t.id);
    await tenants.suspend(at(t.id, { type: 'user', id: 'usr_admin' }), { reason: 'unpaid invoice' });
    const err = await tenants.requireActive(t.id).catch((e) => e);
    expect(err).toBeInstanceOf(TenantSuspendedError);
    expect(err.details).toMatchObject({ tenantId: t.id, reason: 'unpaid invoice' });
    await expect(tenants.suspend(at(t.id), { reason: '' })).rejects.toBeInstanceOf(ValidationError);
    // the actor comes from the context: the old `{ actor }` option is refused, not silently ignored
    await expect(
      tenants.suspend(at(t.id), { reason: 'x' }, { actor: { type: 'user', id: 'usr_x' } } as never),
    ).rejects.toBeInstanceOf(ValidationError);
    // and the tenant from the context, which must be a tenant id
    await expect(tenants.suspend(OPERATOR, { reason: 'x' })).rejects.toBeInstanceOf(ValidationError);
    await tenants.activate(at(t.id));
    await tenants.requireActive(t.id);
    expect(seen).toEqual(['suspended:unpaid invoice:usr_admin', 'activated:suspended']);
  });

  it('a listener that fails rolls the change back', async () => {
    const { tenants, events } = env.tenancy;
    const t = await tenants.create(OPERATOR, { name: 'Acme', slug: 'acme' });
    const off = events.inTransaction('tenant.suspended', async () => {
      throw new Error('audit store down');
    });
    await expect(tenants.suspend(at(t.id), { reason: 'x' })).rejects.toThrow('audit store down');
    expect((await tenants.get(t.id)).status).toBe('active');
    off();
    await tenants.suspend(at(t.id), { reason: 'x' });
    expect((await tenants.get(t.id)).status).toBe('suspended');
  });

  it('soft deletes, refuses to purge a live tenant, purges a deleted one with its quota data', async () => {
    const { tenants, quotas } = env.tenancy;
    const t = await tenants.create(OPERATOR, { name: 'Acme', slug: 'acme' });
    await quotas.consume(at(t.id), { quota: 'workflows', amount: 2, idempotencyKey: 'k' });
    await quotas.acquireSlot(at(t.id), { ttlMs: 60_000 });
    await expect(tenants.purge(at(t.id))).rejects.toBeInstanceOf(ConflictError);
    await tenants.delete(at(t.id));
    expect((await tenants.get(t.id)).status).toBe('deleted');
    await expect(tenants.requireActive(t.id)).rejects.toBeInstanceOf(TenantSuspendedError);
    await expect(tenants.suspend(at(t.id), { reason: 'x' })).rejects.toBeInstanceOf(ConflictError);
    await tenants.purge(at(t.id));
    await expect(tenants.get(t.id)).rejects.toBeInstanceOf(NotFoundError);
    for (const table of ['ax_quotas', 'ax_quota_idempotency', 'ax_quota_leases']) {
      expect(env.raw.prepare(`SELECT count(*) AS n FROM ${table} WHERE tenant_id = ?`).get(t.id)).toEqual({
        n: 0,
      });
    }
  });

  it('changePlan applies new limits to current usage and never resets it', async () => {
    const { tenants, quotas, events } = env.tenancy;
    const changes: string[] = [];
    events.inTransaction('tenant.planChanged', (e) => {
      changes.push(`${e.from}->${e.to}`);
    });
    const t = await tenants.create(OPERATOR, { name: 'Acme', slug: 'acme', plan: 'pro' });
    await quotas.consume(at(t.id), { quota: 'workflows', amount: 20 });
    await quotas.consume(at(t.id), { quota: 'executionsThisMonth', amount: 150 });
    await tenants.changePlan(at(t.id), { plan: 'free' });
    expect(quotaRow(env.raw, t.id, 'workflows')).toMatchObject({ used: 20, quota_limit: 5 });
    expect(quotaRow(env.raw, t.id, 'executionsThisMonth')).toMatchObject({ used: 150, quota_limit: 100 });
    await expect(quotas.consume(at(t.id), { quota: 'workflows', amount: 1 })).rejects.toBeInstanceOf(
      QuotaExceededError,
    );
    await quotas.release(at(t.id), { quota: 'workflows', amount: 16 });
    await quotas.consume(at(t.id), { quota: 'workflows', amount: 1 });
    await tenants.changePlan(at(t.id), { plan: 'enterprise' });
    expect(quotaRow(env.raw, t.id, 'executionsThisMonth')).toMatchObject({ used: 150, quota_limit: -1 });
    await quotas.consume(at(t.id), { quota: 'executionsThisMonth', amount: 1_000_000 });
    expect(changes).toEqual(['pro->free', 'free->enterprise']);
  });

  it('update renames and moves the anchor; the current period runs to its end', async () => {
    const { tenants, quotas } = env.tenancy;
    const t = await tenants.create(OPERATOR, { name: 'Acme', slug: 'acme' });
    const u = await tenants.update(at(t.id), { name: 'Acme Inc', billingAnchorDay: 20 });
    expect(u).toMatchObject({ name: 'Acme Inc', billingAnchorDay: 20 });
    await expect(tenants.update(at(t.id), { billingAnchorDay: 32 })).rejects.toBeInstanceOf(ValidationError);
    env.clock.set(Date.UTC(2026, 1, 3));
    const usage = await quotas.usage(at(t.id));
    expect(usage.periodStart).toBe(Date.UTC(2026, 1, 1));
    expect(usage.periodEnd).toBe(Date.UTC(2026, 1, 20));
  });
});
