import { AxError } from '@ax/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GuardSpec } from '../src/index.js';
import { ACTION, type EventRow, type Harness, harness } from './helpers.js';

const QUOTAS = ['executionsThisMonth', 'workflows'] as const;
const REFUSALS = new Set(['TENANT_SUSPENDED', 'FORBIDDEN', 'RATE_LIMITED', 'QUOTA_EXCEEDED']);

const FAULTS = [
  'none',
  'throws',
  'viewer',
  'suspendBefore',
  'suspendDuring',
  'exceed',
  'hangPastTtl',
  'auditStarted',
  'auditCompleted',
  'auditFailed',
  'auditDenied',
] as const;

const runArb = fc.record({
  executions: fc.integer({ min: 0, max: 3 }),
  workflows: fc.integer({ min: 0, max: 2 }),
  concurrency: fc.boolean(),
  key: fc.constantFrom(undefined, 'k1', 'k2'),
  refund: fc.boolean(),
  fault: fc.constantFrom(...FAULTS),
});
type Run = typeof runArb extends fc.Arbitrary<infer T> ? T : never;

const TTL = 30;

function specOf(r: Run): GuardSpec {
  const workflows = r.fault === 'exceed' ? Math.max(1, r.workflows) : r.workflows;
  const quotas = [
    ...(r.executions > 0 ? [{ quota: 'executionsThisMonth', amount: r.executions }] : []),
    ...(workflows > 0 ? [{ quota: 'workflows', amount: workflows }] : []),
  ];
  return {
    permission: ACTION,
    quotas,
    ...(r.concurrency || r.fault === 'hangPastTtl' ? { concurrency: { ttlMs: TTL } } : {}),
    ...(r.key ? { idempotencyKey: r.key } : {}),
    refundOnFailure: r.refund,
  };
}

// What the audit log says was charged: every started run's own consumption, minus what failed runs refunded.
function expectedUsage(events: EventRow[], quota: string): number {
  let used = 0;
  for (const e of events) {
    if (e.action === `${ACTION}.started`) {
      for (const c of e.metadata.consumed as { quota: string; amount: number; replayed: boolean }[]) {
        if (c.quota === quota && !c.replayed) used += c.amount;
      }
    }
    if (e.action === `${ACTION}.failed`) {
      for (const r of (e.metadata.refunds ?? []) as { quota: string; amount: number; refunded: boolean }[]) {
        if (r.quota === quota && r.refunded) used -= r.amount;
      }
    }
  }
  return used;
}

async function runOne(h: Harness, r: Run, audit: { failOn: string | null }): Promise<unknown> {
  if (r.fault === 'suspendBefore') await h.tenancy.tenants.suspend(h.system, { reason: 'fault' });
  if (r.fault === 'exceed') {
    await h.tenancy.quotas.setOverride(h.system, { quota: 'workflows', limit: h.used('workflows') });
  }
  audit.failOn =
    r.fault === 'auditStarted'
      ? 'started'
      : r.fault === 'auditCompleted'
        ? 'completed'
        : r.fault === 'auditFailed'
          ? 'failed'
          : r.fault === 'auditDenied'
            ? 'denied'
            : null;
  const ctx = r.fault === 'viewer' || r.fault === 'auditDenied' ? h.viewer : h.dev;
  try {
    return await h.guard.run(ctx, specOf(r), async ({ signal }) => {
      if (r.fault === 'suspendDuring') await h.tenancy.tenants.suspend(h.system, { reason: 'mid-way' });
      if (r.fault === 'throws' || r.fault === 'auditFailed') {
        throw new Error('fn failed');
      }
      if (r.fault === 'hangPastTtl') {
        h.clock.advance(TTL + 1); // fn outlives its lease: the renewal fails and the signal aborts
        await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
      }
      return 'ok';
    });
  } catch (err) {
    return err;
  } finally {
    audit.failOn = null;
    const t = await h.tenancy.tenants.get(h.tenantId);
    if (t.status !== 'active') await h.tenancy.tenants.activate(h.system);
    if (r.fault === 'exceed')
      await h.tenancy.quotas.setOverride(h.system, { quota: 'workflows', limit: null });
  }
}

describe('guard.run under random specs and faults', () => {
  it('usage equals started minus refunds, one end at most, no lease left, nothing consumed on a refusal', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(runArb, { minLength: 1, maxLength: 8 }), async (runs) => {
        const audit = { failOn: null as string | null };
        const h = await harness({
          override: (o) => ({
            ...o,
            audit: {
              record: (tx, ctx, e) =>
                audit.failOn && e.action.endsWith(`.${audit.failOn}`)
                  ? Promise.reject(new AxError('INTERNAL', 503, 'audit down'))
                  : o.audit.record(tx, ctx, e),
              append: (ctx, e) =>
                audit.failOn && e.action.endsWith(`.${audit.failOn}`)
                  ? Promise.reject(new AxError('INTERNAL', 503, 'audit down'))
                  : o.audit.append(ctx, e),
            },
          }),
        });
        try {
          for (const r of runs) {
            const before = { events: h.events().length, used: QUOTAS.map((q) => h.used(q)) };
            const out = await runOne(h, r, audit);
            expect(h.leaseRows()).toBe(0);
            const events = h.events();
            const added = events.slice(before.events);
            if (out instanceof AxError && REFUSALS.has(out.code)) {
              expect(QUOTAS.map((q) => h.used(q))).toEqual(before.used);
              expect(added.every((e) => e.action === `${ACTION}.denied`)).toBe(true);
              expect(added.length).toBe(r.fault === 'auditDenied' ? 0 : 1);
            }
            for (const q of QUOTAS) expect(h.used(q)).toBe(expectedUsage(events, q));
            const ends = new Map<string, number>();
            for (const e of events) {
              if (e.action === `${ACTION}.completed` || e.action === `${ACTION}.failed`) {
                const runId = String(e.metadata.runId);
                ends.set(runId, (ends.get(runId) ?? 0) + 1);
              }
            }
            const started = new Set(events.filter((e) => e.action === `${ACTION}.started`).map((e) => e.id));
            for (const [runId, n] of ends) {
              expect(n).toBe(1);
              expect(started.has(runId)).toBe(true);
            }
          }
        } finally {
          await h.cleanup();
        }
      }),
      { numRuns: 25, endOnFailure: true },
    );
  });
});
