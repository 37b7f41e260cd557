import {
  ConflictError,
  NotFoundError,
  QuotaExceededError,
  type StorePorts,
  type Tenant,
  ValidationError,
} from '@ax/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTenancy, PlanCatalog } from '../src/index.js';
import { at, type Env, makeEnv, quotaRow, OPERATOR } from './helpers.js';

let env: Env;
let t: Tenant;
beforeEach(async () => {
  const plans = new PlanCatalog({
    quotas: [{ name: 'seats', kind: 'counter' }],
    plans: [
      {
        name: 'metered',
        limits: {
          workflows: 10,
          executionsThisMonth: 100,
          apiCallsThisMonth: 50,
          seats: 3,
          concurrentExecutions: 1,
        },
        soft: ['apiCallsThisMonth', 'workflows'],
      },
    ],
  });
  env = await makeEnv({ plans });
  t = await env.tenancy.tenants.create(OPERATOR, { name: 'Acme', slug: 'acme' });
});
afterEach(() => env.cleanup());

describe('consume', () => {
  it('adds while it fits, then denies with the limit, usage and quota name, writing nothing', async () => {
    const { quotas } = env.tenancy;
    const r = await quotas.consume(at(t.id), { quota: 'executionsThisMonth', amount: 60 });
    expect(r).toMatchObject({
      used: 60,
      limit: 100,
      remaining: 40,
      replayed: false,
      periodEnd: Date.UTC(2026, 1, 1),
    });
    await quotas.consume(at(t.id), { quota: 'executionsThisMonth', amount: 40 });
    const before = env.snapshot();
    const err = await quotas.consume(at(t.id), { quota: 'executionsThisMonth', amount: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(QuotaExceededError);
    expect(err.details).toMatchObject({ quota: 'executionsThisMonth', limit: 100, used: 100, requested: 1 });
    expect(env.snapshot()).toEqual(before);
  });

  it('an amount that does not fit is refused whole, not in part', async () => {
    const { quotas } = env.tenancy;
    await quotas.consume(at(t.id), { quota: 'workflows', amount: 4 });
    await expect(quotas.consume(at(t.id), { quota: 'workflows', amount: 2 })).rejects.toBeInstanceOf(
      QuotaExceededError,
    );
    expect(quotaRow(env.raw, t.id, 'workflows')?.used).toBe(4);
    await quotas.consume(at(t.id), { quota: 'workflows', amount: 1 });
    expect(quotaRow(env.raw, t.id, 'workflows')?.used).toBe(5);
  });

  it('unlimited quotas never deny', async () => {
    const { tenants, quotas } = env.tenancy;
    await tenants.changePlan(at(t.id), { plan: 'enterprise' });
    const r = await quotas.consume(at(t.id), {
      quota: 'apiCallsThisMonth',
      amount: Number.MAX_SAFE_INTEGER - 1,
    });
    expect(r.remaining).toBeNull();
  });

  it('bad input is a ValidationError and writes nothing', async () => {
    const { quotas } = env.tenancy;
    await quotas.consume(at(t.id), { quota: 'workflows', amount: 1 });
    const before = env.snapshot();
    const cases: [string, string, number][] = [
      [t.id, 'workflows', -1],
      [t.id, 'workflows', 0],
      [t.id, 'workflows', Number.NaN],
      [t.id, 'workflows', 1.5],
      [t.id, 'workflows', Number.POSITIVE_INFINITY],
      [t.id, 'workflows', 2 ** 60],
      [t.id, 'gpuHours', 1],
      [t.id, "workflows'; DROP TABLE ax_quotas; --", 1],
      [t.id, 'workflows OR 1=1', 1],
      [t.id, 'concurrentExecutions', 1],
      ['tnt_01KMZZZZZZZZZZZZZZZZZZZZZZ', 'workflows', 1],
      ['not-an-id', 'workflows', 1],
    ];
    for (const [tenantId, quota, amount] of cases) {
      const err = await quotas.consume(at(tenantId), { quota: quota, amount: amount }).catch((e) => e);
      expect(err, `${tenantId} ${quota} ${amount}`).toBeInstanceOf(ValidationError);
      const rel = await quotas.release(at(tenantId), { quota: quota, amount: amount }).catch((e) => e);
      expect(rel, `release ${tenantId} ${quota} ${amount}`).toBeInstanceOf(ValidationError);
    }
    // a well-formed id of a tenant that does not exist is refused as such, after the store found no row
    const unknown = await quotas
      .consume(at('tnt_01KMZZZZZZZZZZZZZZZZZZZZZZ'), { quota: 'workflows', amount: 1 })
      .catch((e) => e);
    expect(unknown.issues[0].path).toEqual(['tenantId']);
    expect(unknown.message).toMatch(/unknown tenant/);
    const sqlName = await quotas
      .consume(at(t.id), { quota: "workflows'; DROP TABLE ax_quotas; --", amount: 1 })
      .catch((e) => e);
    expect(sqlName.issues[0].path).toEqual(['quota']);
    expect(
      await quotas
        .consume(at(t.id), { quota: 'workflows', amount: '1' as unknown as number })
        .catch((e) => e),
    ).toBeInstanceOf(ValidationError);
    expect(env.snapshot()).toEqual(before);
  });

  it('a quota defined after the tenant was created is unprovisioned until its plan is re-applied', async () => {
    const { quotas, tenants, plans } = env.tenancy;
    plans.defineQuota({ name: 'reports', kind: 'counter' });
    plans.definePlan({ name: 'free', limits: { ...plans.plan('free').limits, reports: 2 } });
    const err = await quotas.consume(at(t.id), { quota: 'reports', amount: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.issues[0].path).toEqual(['quota']);
    await tenants.syncQuotas(at(t.id));
    expect((await quotas.consume(at(t.id), { quota: 'reports', amount: 2 })).used).toBe(2);
  });
});

describe('idempotency keys', () => {
  it('100 concurrent retries of one key consume once and all return the first result', async () => {
    const { quotas } = env.tenancy;
    const results = await Promise.all(
      Array.from({ length: 100 }, () =>
        quotas.consume(at(t.id), { quota: 'executionsThisMonth', amount: 3, idempotencyKey: 'req-1' }),
      ),
    );
    expect(quotaRow(env.raw, t.id, 'executionsThisMonth')?.used).toBe(3);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    for (const r of results) expect(r).toMatchObject({ used: 3, limit: 100, amount: 3 });
  });

  it('the key holds for the whole period and is scoped to tenant and quota', async () => {
    const { quotas, tenants } = env.tenancy;
    const other = await tenants.create(OPERATOR, { name: 'Other', slug: 'other' });
    await quotas.consume(at(t.id), { quota: 'executionsThisMonth', amount: 5, idempotencyKey: 'k' });
    env.clock.set(Date.UTC(2026, 0, 31, 23, 59));
    expect(
      (await quotas.consume(at(t.id), { quota: 'executionsThisMonth', amount: 5, idempotencyKey: 'k' }))
        .replayed,
    ).toBe(true);
    expect(
      (await quotas.consume(at(t.id), { quota: 'apiCallsThisMonth', amount: 5, idempotencyKey: 'k' }))
        .replayed,
    ).toBe(false);
    expect(
      (await quotas.consume(at(other.id), { quota: 'executionsThisMonth', amount: 5, idempotencyKey: 'k' }))
        .replayed,
    ).toBe(false);
    expect(quotaRow(env.raw, t.id, 'executionsThisMonth')?.used).toBe(5);
    env.clock.set(Date.UTC(2026, 1, 1));
    const next = await quotas.consume(at(t.id), {
      quota: 'executionsThisMonth',
      amount: 5,
      idempotencyKey: 'k',
    });
    expect(next).toMatchObject({ replayed: false, used: 5, periodStart: Date.UTC(2026, 1, 1) });
  });

  it('a retry that lands just after the period ended is not counted again in the next period', async () => {
    const { quotas } = env.tenancy;
    env.clock.set(Date.UTC(2026, 1, 1) - 1_000);
    await quotas.consume(at(t.id), { quota: 'executionsThisMonth', amount: 7, idempotencyKey: 'edge' });
    env.clock.set(Date.UTC(2026, 1, 1) + 30_000);
    const retry = await quotas.consume(at(t.id), {
      quota: 'executionsThisMonth',
      amount: 7,
      idempotencyKey: 'edge',
    });
    expect(retry).toMatchObject({ replayed: true, used: 7, periodStart: Date.UTC(2026, 0, 1) });
    const usage = await quotas.usage(at(t.id));
    expect(usage.quotas.find((q) => q.quota === 'executionsThisMonth')?.used).toBe(0);
    expect((await quotas.history(at(t.id), { quota: 'executionsThisMonth' })).map((h) => h.used)).toEqual([
      7,
    ]);
  });

  it('reusing a key with another amount is a ConflictError; a denied consume records no key', async () => {
    const { quotas } = env.tenancy;
    await quotas.consume(at(t.id), { quota: 'workflows', amount: 2, idempotencyKey: 'a' });
    await expect(
      quotas.consume(at(t.id), { quota: 'workflows', amount: 3, idempotencyKey: 'a' }),
    ).rejects.toBeInstanceOf(ConflictError);
    await expect(
      quotas.consume(at(t.id), { quota: 'workflows', amount: 4, idempotencyKey: 'b' }),
    ).rejects.toBeInstanceOf(QuotaExceededError);
    expect(
      env.raw.prepare("SELECT count(*) AS n FROM ax_quota_idempotency WHERE idem_key = 'b'").get(),
    ).toEqual({
      n: 0,
    });
    await quotas.release(at(t.id), { quota: 'workflows', amount: 2 });
    expect(
      (await quotas.consume(at(t.id), { quota: 'workflows', amount: 4, idempotencyKey: 'b' })).used,
    ).toBe(4);
  });
});

describe('release', () => {
  it('never goes below zero', async () => {
    const { quotas } = env.tenancy;
    await quotas.consume(at(t.id), { quota: 'storageBytes', amount: 1000 });
    expect((await quotas.release(at(t.id), { quota: 'storageBytes', amount: 400 })).used).toBe(600);
    expect((await quotas.release(at(t.id), { quota: 'storageBytes', amount: 10_000 })).used).toBe(0);
  });
});

describe('periods', () => {
  it('roll over lazily on first access, keep past periods, and resetExpiredPeriods does the same for a scheduler', async () => {
    const { quotas, events } = env.tenancy;
    const closed: string[] = [];
    events.inTransaction('quota.periodClosed', (e) => {
      closed.push(`${e.quota}@${new Date(e.periodStart).toISOString().slice(0, 7)}`);
    });
    await quotas.consume(at(t.id), { quota: 'executionsThisMonth', amount: 70 });
    await quotas.consume(at(t.id), { quota: 'apiCallsThisMonth', amount: 9 });
    env.clock.set(Date.UTC(2026, 1, 1, 0, 0, 0, 1));
    const r = await quotas.consume(at(t.id), { quota: 'executionsThisMonth', amount: 1 });
    expect(r).toMatchObject({ used: 1, periodStart: Date.UTC(2026, 1, 1), periodEnd: Date.UTC(2026, 2, 1) });
    expect(quotaRow(env.raw, t.id, 'apiCallsThisMonth')?.used).toBe(9); // not touched yet: lazy
    expect(await quotas.resetExpiredPeriods()).toBe(1);
    expect(quotaRow(env.raw, t.id, 'apiCallsThisMonth')?.used).toBe(0);
    expect(await quotas.resetExpiredPeriods()).toBe(0);
    const history = await quotas.history(at(t.id));
    expect(history.map((h) => [h.quota, h.used, h.periodStart])).toEqual([
      ['apiCallsThisMonth', 9, Date.UTC(2026, 0, 1)],
      ['executionsThisMonth', 70, Date.UTC(2026, 0, 1)],
    ]);
    expect(closed.sort()).toEqual(['apiCallsThisMonth@2026-01', 'executionsThisMonth@2026-01']);
  });

  it('anniversary on the 31st: periods end on the last day of short months', async () => {
    const { quotas, tenants } = env.tenancy;
    env.clock.set(Date.UTC(2026, 0, 31, 10));
    const a = await tenants.create(OPERATOR, { name: 'Anniv', slug: 'anniv', billingAnchorDay: 31 });
    expect((await quotas.usage(at(a.id))).periodEnd).toBe(Date.UTC(2026, 1, 28));
    env.clock.set(Date.UTC(2026, 1, 28));
    expect(await quotas.usage(at(a.id))).toMatchObject({
      periodStart: Date.UTC(2026, 1, 28),
      periodEnd: Date.UTC(2026, 2, 31),
    });
    env.clock.set(Date.UTC(2026, 3, 30, 1));
    expect(await quotas.usage(at(a.id))).toMatchObject({
      periodStart: Date.UTC(2026, 3, 30),
      periodEnd: Date.UTC(2026, 4, 31),
    });
  });
});

describe('soft limits', () => {
  it('allow past the limit and emit 80/100/120% once per period', async () => {
    const { quotas, tenants, events } = env.tenancy;
    await tenants.changePlan(at(t.id), { plan: 'metered' });
    const fired: number[] = [];
    events.inTransaction('quota.threshold', (e) => {
      if (e.quota === 'apiCallsThisMonth') fired.push(e.threshold);
    });
    await quotas.consume(at(t.id), { quota: 'apiCallsThisMonth', amount: 39 }); // 78%
    expect(fired).toEqual([]);
    await quotas.consume(at(t.id), { quota: 'apiCallsThisMonth', amount: 1 }); // 80%
    await quotas.consume(at(t.id), { quota: 'apiCallsThisMonth', amount: 20 }); // 120%: crosses 100 and 120 at once
    expect(fired).toEqual([80, 100, 120]);
    await quotas.release(at(t.id), { quota: 'apiCallsThisMonth', amount: 30 });
    await quotas.consume(at(t.id), { quota: 'apiCallsThisMonth', amount: 40 });
    expect(fired).toEqual([80, 100, 120]);
    expect(quotaRow(env.raw, t.id, 'apiCallsThisMonth')?.used).toBe(70);
    env.clock.set(Date.UTC(2026, 1, 2));
    await quotas.consume(at(t.id), { quota: 'apiCallsThisMonth', amount: 45 });
    expect(fired).toEqual([80, 100, 120, 80]);
  });
  it('a threshold whose record was lost (crash after the consume) is recorded by the next consume', async () => {
    const { tenants } = env.tenancy;
    await tenants.changePlan(at(t.id), { plan: 'metered' });
    await env.tenancy.quotas.consume(at(t.id), { quota: 'apiCallsThisMonth', amount: 41 });
    env.store.db.prepare('DELETE FROM ax_quota_thresholds').run(); // as if the process died before recording
    const other = createTenancy({ store: env.store, clock: env.clock, plans: env.tenancy.plans });
    const fired: number[] = [];
    other.events.inTransaction('quota.threshold', (e) => {
      fired.push(e.threshold);
    });
    await other.quotas.consume(at(t.id), { quota: 'apiCallsThisMonth', amount: 1 });
    await other.quotas.consume(at(t.id), { quota: 'apiCallsThisMonth', amount: 1 });
    expect(fired).toEqual([80]);
  });

  it('the consume, its threshold record and the event commit together: the listener gets tx', async () => {
    const { quotas, tenants, events } = env.tenancy;
    await quotas.consume(at(t.id), { quota: 'workflows', amount: 1 }); // seen hard (free plan) by this process
    await tenants.changePlan(at(t.id), { plan: 'metered' });
    const seen: string[] = [];
    events.inTransaction('quota.threshold', async (e, { tx }) => {
      expect(tx).toBeDefined();
      // inside the consume's transaction: the usage that reached the threshold and its record are visible
      const row = await (tx as StorePorts).quotas.get(e.tenantId, e.quota);
      seen.push(`${e.threshold}@${row?.used}`);
    });
    await quotas.consume(at(t.id), { quota: 'apiCallsThisMonth', amount: 40 });
    // a quota this process last saw hard: the consume commits first, the threshold then gets its own tx
    await quotas.consume(at(t.id), { quota: 'workflows', amount: 7 });
    expect(seen).toEqual(['80@40', '80@8']);
  });

  it('a failing threshold listener rolls back the consume and the record; the retry announces it', async () => {
    const { quotas, tenants, events } = env.tenancy;
    await tenants.changePlan(at(t.id), { plan: 'metered' });
    const off = events.inTransaction('quota.threshold', () => {
      throw new Error('audit store down');
    });
    const before = env.snapshot();
    await expect(quotas.consume(at(t.id), { quota: 'apiCallsThisMonth', amount: 40 })).rejects.toThrow(
      'audit store down',
    );
    expect(env.snapshot()).toEqual(before); // not counted, not recorded: the caller may simply retry
    off();
    const fired: number[] = [];
    events.inTransaction('quota.threshold', (e) => {
      fired.push(e.threshold);
    });
    await quotas.consume(at(t.id), { quota: 'apiCallsThisMonth', amount: 40 });
    expect(fired).toEqual([80]);
    expect(quotaRow(env.raw, t.id, 'apiCallsThisMonth')?.used).toBe(40);
  });

  it('a threshold reached in a caller’s transaction that rolls back is announced again by the next consume', async () => {
    const { quotas, tenants, events } = env.tenancy;
    await tenants.changePlan(at(t.id), { plan: 'metered' });
    const fired: number[] = [];
    events.inTransaction('quota.threshold', (e) => {
      fired.push(e.threshold);
    });
    await expect(
      env.store.transaction(async (tx) => {
        await quotas.consume(at(t.id), { quota: 'apiCallsThisMonth', amount: 40 }, { tx });
        throw new Error('a later step fails');
      }),
    ).rejects.toThrow('a later step fails');
    expect(fired).toEqual([80]); // announced in the transaction that rolled back
    // the rolled-back record must not be remembered as committed by this process
    await quotas.consume(at(t.id), { quota: 'apiCallsThisMonth', amount: 40 });
    expect(fired).toEqual([80, 80]);
    await quotas.consume(at(t.id), { quota: 'apiCallsThisMonth', amount: 1 });
    expect(fired).toEqual([80, 80]); // committed now: once per period
  });

  it('a new limit re-arms the thresholds', async () => {
    const { quotas, tenants, events } = env.tenancy;
    await tenants.changePlan(at(t.id), { plan: 'metered' });
    const fired: string[] = [];
    events.inTransaction('quota.threshold', (e) => {
      fired.push(`${e.threshold}/${e.limit}`);
    });
    await quotas.consume(at(t.id), { quota: 'workflows', amount: 8 }); // 80% of 10
    await quotas.setOverride(at(t.id), { quota: 'workflows', limit: 9 });
    await quotas.consume(at(t.id), { quota: 'workflows', amount: 1 }); // 100% of 9
    expect(fired).toEqual(['80/10', '80/9', '100/9']);
  });
});

describe('overrides', () => {
  it('override one tenant’s limit, survive a plan change, and go back to the plan with null', async () => {
    const { quotas, tenants } = env.tenancy;
    await quotas.setOverride(at(t.id), { quota: 'workflows', limit: 7 });
    await quotas.consume(at(t.id), { quota: 'workflows', amount: 7 });
    await tenants.changePlan(at(t.id), { plan: 'pro' });
    expect(quotaRow(env.raw, t.id, 'workflows')?.quota_limit).toBe(7);
    expect((await quotas.usage(at(t.id))).quotas.find((q) => q.quota === 'workflows')).toMatchObject({
      overridden: true,
      limit: 7,
      used: 7,
    });
    await quotas.setOverride(at(t.id), { quota: 'workflows', limit: null });
    expect(quotaRow(env.raw, t.id, 'workflows')?.quota_limit).toBe(50);
    await expect(quotas.setOverride(at(t.id), { quota: 'workflows', limit: -2 })).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(quotas.setOverride(at(t.id), { quota: 'nope', limit: 1 })).rejects.toBeInstanceOf(
      ValidationError,
    );
  });
});

describe('refund', () => {
  it('gives back exactly what the key consumed, once; a second refund and an unknown key give nothing', async () => {
    const { quotas } = env.tenancy;
    await quotas.consume(at(t.id), { quota: 'executionsThisMonth', amount: 7, idempotencyKey: 'run-1' });
    await quotas.consume(at(t.id), { quota: 'executionsThisMonth', amount: 2 });
    expect(await quotas.refund(at(t.id), { quota: 'executionsThisMonth', idempotencyKey: 'run-1' })).toEqual({
      refunded: true,
      amount: 7,
    });
    expect(quotaRow(env.raw, t.id, 'executionsThisMonth')?.used).toBe(2);
    expect(await quotas.refund(at(t.id), { quota: 'executionsThisMonth', idempotencyKey: 'run-1' })).toEqual({
      refunded: false,
      amount: 0,
    });
    expect(await quotas.refund(at(t.id), { quota: 'executionsThisMonth', idempotencyKey: 'nope' })).toEqual({
      refunded: false,
      amount: 0,
    });
    expect(quotaRow(env.raw, t.id, 'executionsThisMonth')?.used).toBe(2);
    // a retry with the refunded key counts again (the usage was given back), and can be refunded again
    const again = await quotas.consume(at(t.id), {
      quota: 'executionsThisMonth',
      amount: 7,
      idempotencyKey: 'run-1',
    });
    expect(again).toMatchObject({ used: 9, replayed: false });
    expect(
      (await quotas.refund(at(t.id), { quota: 'executionsThisMonth', idempotencyKey: 'run-1' })).refunded,
    ).toBe(true);
  });

  it('never refunds into another period, another tenant or another quota', async () => {
    const { quotas, tenants } = env.tenancy;
    const other = await tenants.create(OPERATOR, { name: 'Other', slug: 'other' });
    await quotas.consume(at(t.id), { quota: 'executionsThisMonth', amount: 5, idempotencyKey: 'k' });
    await quotas.consume(at(t.id), { quota: 'apiCallsThisMonth', amount: 5 });
    expect(
      (await quotas.refund(at(other.id), { quota: 'executionsThisMonth', idempotencyKey: 'k' })).refunded,
    ).toBe(false);
    expect(
      (await quotas.refund(at(t.id), { quota: 'apiCallsThisMonth', idempotencyKey: 'k' })).refunded,
    ).toBe(false);
    env.clock.set(Date.UTC(2026, 1, 3)); // the period the key consumed in has ended
    await quotas.consume(at(t.id), { quota: 'executionsThisMonth', amount: 1 }); // rolls over
    expect(await quotas.refund(at(t.id), { quota: 'executionsThisMonth', idempotencyKey: 'k' })).toEqual({
      refunded: false,
      amount: 0,
    });
    expect(quotaRow(env.raw, t.id, 'executionsThisMonth')?.used).toBe(1);
    expect((await quotas.history(at(t.id), { quota: 'executionsThisMonth' })).map((h) => h.used)).toEqual([
      5,
    ]);
  });

  it('rolls back with the caller’s transaction', async () => {
    const { quotas } = env.tenancy;
    await quotas.consume(at(t.id), { quota: 'workflows', amount: 3, idempotencyKey: 'w' });
    await expect(
      env.store.transaction(async (tx) => {
        expect(
          (await quotas.refund(at(t.id), { quota: 'workflows', idempotencyKey: 'w' }, { tx })).refunded,
        ).toBe(true);
        throw new Error('later step fails');
      }),
    ).rejects.toThrow('later step fails');
    expect(quotaRow(env.raw, t.id, 'workflows')?.used).toBe(3);
    expect((await quotas.refund(at(t.id), { quota: 'workflows', idempotencyKey: 'w' })).amount).toBe(3);
    expect(quotaRow(env.raw, t.id, 'workflows')?.used).toBe(0);
  });
});

describe('leases', () => {
  it('hold the limit, release twice harmlessly, renew, and expire', async () => {
    const { quotas } = env.tenancy;
    const a = await quotas.acquireSlot(at(t.id), { ttlMs: 10_000, holder: 'worker-a' });
    const b = await quotas.acquireSlot(at(t.id), { ttlMs: 10_000 });
    const err = await quotas.acquireSlot(at(t.id), { ttlMs: 10_000 }).catch((e) => e);
    expect(err).toBeInstanceOf(QuotaExceededError);
    expect(err.details).toMatchObject({ quota: 'concurrentExecutions', limit: 2, used: 2 });
    expect(await quotas.releaseSlot(at(t.id), { lease: a })).toBe(true);
    expect(await quotas.releaseSlot(at(t.id), { lease: a })).toBe(false);
    const c = await quotas.acquireSlot(at(t.id), { ttlMs: 10_000 });
    await expect(quotas.acquireSlot(at(t.id), { ttlMs: 10_000 })).rejects.toBeInstanceOf(QuotaExceededError);
    env.clock.advance(9_000);
    const renewed = await quotas.renew(at(t.id), { lease: b });
    expect(renewed.expiresAt).toBe(env.clock.now() + 10_000);
    env.clock.advance(1_000); // c expired, b renewed
    const d = await quotas.acquireSlot(at(t.id), { ttlMs: 10_000 });
    await expect(quotas.renew(at(t.id), { lease: c })).rejects.toBeInstanceOf(NotFoundError);
    const usage = await quotas.usage(at(t.id));
    expect(usage.leases.map((l) => l.id)).toEqual([b.id, d.id]);
    expect(usage.quotas.find((q) => q.quota === 'concurrentExecutions')).toMatchObject({
      used: 2,
      remaining: 0,
    });
  });

  it('renewing the renewed lease keeps its TTL instead of growing it', async () => {
    const { quotas } = env.tenancy;
    const start = env.clock.now();
    let lease = await quotas.acquireSlot(at(t.id), { ttlMs: 10_000 });
    for (let i = 1; i <= 5; i++) {
      env.clock.advance(5_000);
      lease = await quotas.renew(at(t.id), { lease });
      expect(lease.expiresAt, `renewal ${i}`).toBe(env.clock.now() + 10_000);
    }
    // a holder that dies now frees its slot one TTL later, not after an ever longer one
    expect(lease.expiresAt).toBe(start + 35_000);
    expect(lease.acquiredAt).toBe(start);
    // a lease read back from storage does not know its TTL: say it
    const stored = (await quotas.usage(at(t.id))).leases[0]!;
    await expect(quotas.renew(at(t.id), { lease: stored })).rejects.toBeInstanceOf(ValidationError);
    expect((await quotas.renew(at(t.id), { lease: stored, ttlMs: 1_000 })).expiresAt).toBe(
      env.clock.now() + 1_000,
    );
  });

  it('another tenant’s lease id releases nothing', async () => {
    const { quotas, tenants } = env.tenancy;
    const other = await tenants.create(OPERATOR, { name: 'Other', slug: 'other' });
    const mine = await quotas.acquireSlot(at(t.id), { ttlMs: 10_000 });
    // through the other tenant's context, or with the lease claiming the other tenant
    expect(await quotas.releaseSlot(at(other.id), { lease: mine })).toBe(false);
    expect(await quotas.releaseSlot(at(t.id), { lease: { id: mine.id, tenantId: other.id } })).toBe(false);
    await expect(quotas.renew(at(other.id), { lease: mine, ttlMs: 5 })).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      quotas.renew(at(t.id), { lease: { id: mine.id, tenantId: other.id }, ttlMs: 5 }),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect((await quotas.usage(at(t.id))).leases[0]?.expiresAt).toBe(mine.expiresAt);
    expect((await quotas.usage(at(t.id))).leases).toHaveLength(1);
  });

  it('rejects bad leases and TTLs', async () => {
    const { quotas } = env.tenancy;
    await expect(quotas.acquireSlot(at(t.id), { ttlMs: 0 })).rejects.toBeInstanceOf(ValidationError);
    await expect(quotas.acquireSlot(at(t.id), { ttlMs: 1.5 })).rejects.toBeInstanceOf(ValidationError);
    await expect(quotas.acquireSlot(at(t.id), { ttlMs: 10, quota: 'workflows' })).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(quotas.releaseSlot(at(t.id), { lease: { id: "lse_'" } })).rejects.toBeInstanceOf(
      ValidationError,
    );
  });
});

describe('options cannot redirect a call to another tenant', () => {
  it('acquireSlot refuses a tenantId (or any unknown field) smuggled in its options', async () => {
    const { quotas, tenants } = env.tenancy;
    const other = await tenants.create(OPERATOR, { name: 'Other', slug: 'other' });
    const opts = { ttlMs: 10_000, tenantId: other.id } as unknown as { ttlMs: number };
    await expect(quotas.acquireSlot(at(t.id), opts)).rejects.toBeInstanceOf(ValidationError);
    expect(env.raw.prepare('SELECT count(*) AS n FROM ax_quota_leases').get()).toEqual({ n: 0 });
    await expect(quotas.acquireSlot(at(t.id), { ttlMs: 1, ttl: 5 } as never)).rejects.toBeInstanceOf(
      ValidationError,
    );
  });
});

describe('createTenancy options', () => {
  it('refuses an idempotency TTL that is not a positive integer (a NaN expiry broke keyed consumes)', async () => {
    for (const idempotencyTtlMs of [Number.NaN, -1, 0, 1.5]) {
      expect(() => createTenancy({ store: env.store, idempotencyTtlMs }), `${idempotencyTtlMs}`).toThrow(
        ValidationError,
      );
    }
    const ok = createTenancy({ store: env.store, clock: env.clock, idempotencyTtlMs: 60_000 });
    const r = await ok.quotas.consume(at(t.id), { quota: 'workflows', amount: 1, idempotencyKey: 'ttl' });
    expect(r.replayed).toBe(false);
  });
});
