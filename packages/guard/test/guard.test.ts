import { AxError, createContext, isAxError, PLATFORM_TENANT_ID, SYSTEM_ACTOR } from '@ax/core';
import { afterEach, describe, expect, it } from 'vitest';
import { ACTION, type Harness, type HarnessOptions, harness, refusal } from './helpers.js';

let h: Harness;
const open = async (o?: HarnessOptions) => {
  h = await harness(o);
  return h;
};
afterEach(async () => {
  await h?.cleanup();
});

const spec = {
  permission: ACTION,
  quotas: [{ quota: 'executionsThisMonth', amount: 2 }],
  concurrency: { ttlMs: 60_000 },
};

describe('guard.run', () => {
  it('consumes, holds the lease while fn runs, records started and completed, and releases', async () => {
    await open();
    let inside = -1;
    const out = await h.guard.run(h.dev, spec, async ({ lease, signal }) => {
      inside = h.leaseRows();
      expect(lease?.quota).toBe('concurrentExecutions');
      expect(signal.aborted).toBe(false);
      return 'done';
    });
    expect(out).toBe('done');
    expect(inside).toBe(1);
    expect(h.leaseRows()).toBe(0);
    expect(h.used('executionsThisMonth')).toBe(2);
    const events = h.events();
    expect(events.map((e) => e.action)).toEqual([`${ACTION}.started`, `${ACTION}.completed`]);
    expect(events[1]!.metadata.runId).toBe(events[0]!.id);
    expect(events[0]!.metadata.consumed).toEqual([
      { quota: 'executionsThisMonth', amount: 2, replayed: false },
    ]);
  });

  it('refuses an invalid context or spec before anything, recording nothing', async () => {
    await open();
    const bad = { ...h.dev, actor: { type: 'robot', id: 'x' } } as never;
    expect((await refusal(h.guard.run(bad, spec, () => 1))).code).toBe('VALIDATION');
    expect((await refusal(h.guard.run(h.dev, { ...spec, permission: 'nope.nope' }, () => 1))).code).toBe(
      'VALIDATION',
    );
    expect(h.events()).toEqual([]);
    expect(h.used('executionsThisMonth')).toBe(0);
  });

  it('a suspended tenant: TENANT_SUSPENDED with the reason, one denied event, nothing consumed', async () => {
    await open();
    await h.tenancy.tenants.suspend(h.system, { reason: 'unpaid invoice' });
    let ran = false;
    const err = await refusal(
      h.guard.run(h.dev, spec, () => {
        ran = true;
      }),
    );
    expect(err.code).toBe('TENANT_SUSPENDED');
    expect(err.details.reason).toBe('unpaid invoice');
    expect(ran).toBe(false);
    expect(h.events().map((e) => [e.action, e.outcome])).toEqual([[`${ACTION}.denied`, 'denied']]);
    expect(h.used('executionsThisMonth')).toBe(0);
    expect(h.leaseRows()).toBe(0);
  });

  it('FORBIDDEN tells the caller the permission only; the explanation goes to the denied event', async () => {
    await open();
    const err = await refusal(h.guard.run(h.viewer, spec, () => 1));
    expect(err.code).toBe('FORBIDDEN');
    expect(err.message).toBe(`not allowed: ${ACTION}`);
    expect(JSON.stringify(err.toJSON())).not.toMatch(/role|viewer/);
    const [denied] = h.events();
    expect(denied!.action).toBe(`${ACTION}.denied`);
    expect(denied!.reason).toMatch(/viewer/);
    expect(h.used('executionsThisMonth')).toBe(0);
  });

  it('RATE_LIMITED carries retryAfterMs, and the refusal consumes nothing', async () => {
    await open({ ratePoints: 2 });
    await h.guard.run(h.dev, spec, () => 1);
    await h.guard.run(h.dev, spec, () => 1);
    const err = await refusal(h.guard.run(h.dev, spec, () => 1));
    expect(err.code).toBe('RATE_LIMITED');
    expect(err.details.retryAfterMs).toBeGreaterThan(0);
    expect(h.used('executionsThisMonth')).toBe(4);
    expect(h.events().filter((e) => e.action === `${ACTION}.denied`)).toHaveLength(1);
  });

  it('QUOTA_EXCEEDED on one quota rolls the whole start back: no other quota, no lease, no started', async () => {
    await open({ plan: 'free' });
    await h.tenancy.quotas.setOverride(h.system, { quota: 'workflows', limit: 1 });
    const two = {
      permission: ACTION,
      quotas: [
        { quota: 'executionsThisMonth', amount: 1 },
        { quota: 'workflows', amount: 2 },
      ],
      concurrency: { ttlMs: 60_000 },
    };
    const err = await refusal(h.guard.run(h.dev, two, () => 1));
    expect(err.code).toBe('QUOTA_EXCEEDED');
    expect(h.used('executionsThisMonth')).toBe(0);
    expect(h.used('workflows')).toBe(0);
    expect(h.leaseRows()).toBe(0);
    expect(h.events().map((e) => e.action)).toEqual([`${ACTION}.denied`]);
    expect(h.events()[0]!.metadata).toMatchObject({
      code: 'QUOTA_EXCEEDED',
      details: { quota: 'workflows' },
    });
  });

  it('the concurrency limit refuses the run past it, while the others hold their slots', async () => {
    await open({ plan: 'free' }); // 2 concurrent
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const held = [1, 2].map(() => h.guard.run(h.dev, spec, () => gate));
    await expect.poll(() => h.leaseRows()).toBe(2);
    const err = await refusal(h.guard.run(h.dev, spec, () => 1));
    expect(err.code).toBe('QUOTA_EXCEEDED');
    release();
    await Promise.all(held);
    expect(h.leaseRows()).toBe(0);
    expect(h.used('executionsThisMonth')).toBe(4);
  });

  it('fn throws: failed is recorded, the error rethrown; with refundOnFailure the usage comes back once', async () => {
    await open();
    const boom = new Error('boom');
    await expect(h.guard.run(h.dev, spec, () => Promise.reject(boom))).rejects.toBe(boom);
    expect(h.used('executionsThisMonth')).toBe(2);
    const refunding = { ...spec, refundOnFailure: true, idempotencyKey: 'job-1' };
    await expect(h.guard.run(h.dev, refunding, () => Promise.reject(boom))).rejects.toBe(boom);
    expect(h.used('executionsThisMonth')).toBe(2);
    const failed = h.events().filter((e) => e.action === `${ACTION}.failed`);
    expect(failed).toHaveLength(2);
    expect(failed[1]!.metadata.refunds).toEqual([
      { quota: 'executionsThisMonth', amount: 2, refunded: true },
    ]);
    expect(h.leaseRows()).toBe(0);
  });

  it('a retry with the same idempotency key consumes once', async () => {
    await open();
    const keyed = { ...spec, idempotencyKey: 'job-7' };
    await h.guard.run(h.dev, keyed, () => 1);
    await h.guard.run(h.dev, keyed, () => 1);
    expect(h.used('executionsThisMonth')).toBe(2);
    const started = h.events().filter((e) => e.action === `${ACTION}.started`);
    expect(started.map((e) => (e.metadata.consumed as { replayed: boolean }[])[0]!.replayed)).toEqual([
      false,
      true,
    ]);
  });

  it('a lease lost while fn runs aborts its signal; the run fails and leaves no lease', async () => {
    await open();
    const err = await refusal(
      h.guard.run(h.dev, { ...spec, concurrency: { ttlMs: 30 } }, ({ signal }) => {
        h.clock.advance(31); // the lease expires: the next renewal finds it gone
        return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
      }),
    );
    expect(err.code).toBe('CONFLICT');
    expect(h.events().map((e) => e.action)).toEqual([`${ACTION}.started`, `${ACTION}.failed`]);
    expect(h.leaseRows()).toBe(0);
  });

  it('an audit that cannot append started: nothing consumed, no lease, the error surfaces', async () => {
    await open({
      override: (o) => ({
        ...o,
        audit: {
          record: () => Promise.reject(new AxError('INTERNAL', 503, 'audit down')),
          append: (ctx, e) => o.audit.append(ctx, e),
        },
      }),
    });
    const err = await refusal(h.guard.run(h.dev, spec, () => 1));
    expect(err.message).toBe('audit down');
    expect(h.used('executionsThisMonth')).toBe(0);
    expect(h.leaseRows()).toBe(0);
    expect(h.events()).toEqual([]);
  });

  it("a failed event that cannot be appended: onError hears of it, no refund, the work's error is thrown", async () => {
    const heard: string[] = [];
    await open({
      override: (o) => ({
        ...o,
        onError: (_e, where) => heard.push(where),
        audit: {
          record: (tx, ctx, e) =>
            e.action.endsWith('.failed')
              ? Promise.reject(new AxError('INTERNAL', 503, 'audit down'))
              : o.audit.record(tx, ctx, e),
          append: (ctx, e) => o.audit.append(ctx, e),
        },
      }),
    });
    const boom = new Error('boom');
    const refunding = { ...spec, refundOnFailure: true };
    await expect(h.guard.run(h.dev, refunding, () => Promise.reject(boom))).rejects.toBe(boom);
    expect(heard).toEqual(['failed-event']);
    expect(h.used('executionsThisMonth')).toBe(2); // the refund shared the failed event's transaction
    expect(h.events().map((e) => e.action)).toEqual([`${ACTION}.started`]);
    expect(h.leaseRows()).toBe(0);
  });

  it('requireActiveTenant: false lets the allowed act on a suspended tenant; the refused still hear TENANT_SUSPENDED', async () => {
    await open();
    await h.tenancy.tenants.suspend(h.system, { reason: 'unpaid invoice' });
    const platformAction = { permission: 'tenant.suspend', action: ACTION, requireActiveTenant: false };
    expect(await h.guard.run(h.system, platformAction, () => 'reactivated')).toBe('reactivated');
    const err = await refusal(h.guard.run(h.dev, platformAction, () => 1));
    expect(err.code).toBe('TENANT_SUSPENDED');
    expect(err.details.reason).toBe('unpaid invoice');
    expect(h.events().map((e) => e.action)).toEqual([
      `${ACTION}.started`,
      `${ACTION}.completed`,
      `${ACTION}.denied`,
    ]);
  });

  it('a platform context (installation-wide action) has no tenant to check and consumes nothing', async () => {
    await open();
    const platform = createContext({ tenantId: PLATFORM_TENANT_ID, actor: SYSTEM_ACTOR });
    expect(await h.guard.run(platform, { permission: 'tenant.write', action: ACTION }, () => 'ok')).toBe(
      'ok',
    );
    const withQuota = {
      permission: 'tenant.write',
      action: ACTION,
      quotas: [{ quota: 'workflows', amount: 1 }],
    };
    expect((await refusal(h.guard.run(platform, withQuota, () => 1))).code).toBe('VALIDATION');
  });

  it('a conditional grant needs the object: without it FORBIDDEN, with a matching one allowed', async () => {
    await open();
    await h.rbac.createRole(h.system, {
      name: 'own-runner',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an RBAC placeholder, not a template
      rules: [{ action: 'execute', subject: 'Workflow', conditions: { ownerId: '${user.id}' } }],
    });
    const u = h.viewer.actor.id;
    await h.rbac.assign(h.system, { userId: u, role: 'own-runner' });
    const owner = createContext({ ...h.viewer });
    expect(isAxError(await refusal(h.guard.run(owner, { permission: ACTION }, () => 1)), 'FORBIDDEN')).toBe(
      true,
    );
    const mine = { permission: ACTION, object: { id: 'wf_1', ownerId: u } };
    expect(await h.guard.run(owner, mine, () => 'ran')).toBe('ran');
    const theirs = { permission: ACTION, object: { id: 'wf_2', ownerId: 'usr_other' } };
    expect((await refusal(h.guard.run(owner, theirs, () => 1))).code).toBe('FORBIDDEN');
    const started = h.events().find((e) => e.action === `${ACTION}.started`);
    expect(started).toBeDefined();
  });
});
