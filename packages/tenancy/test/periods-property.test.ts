import { ConflictError, QuotaExceededError } from '@ax/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_IDEMPOTENCY_TTL_MS } from '../src/index.js';
import { at, makeEnv, quotaRow, OPERATOR } from './helpers.js';

type Cmd =
  | { op: 'consume'; amount: number; key: string | null }
  | { op: 'release'; amount: number }
  | { op: 'jump'; ms: number }
  | { op: 'edge'; before: number };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('consume' as const),
      amount: fc.integer({ min: 1, max: 12 }),
      key: fc.option(fc.constantFrom('k1', 'k2', 'k3'), { nil: null }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('release' as const), amount: fc.integer({ min: 1, max: 15 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('jump' as const),
      ms: fc.oneof(
        fc.integer({ min: 0, max: 2 * 3_600_000 }),
        fc.integer({ min: 0, max: 3 * 86_400_000 }),
        fc.integer({ min: 0, max: 75 * 86_400_000 }),
      ),
    }),
  },
  {
    // to just before the month ends, where a retried key straddles two periods
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('edge' as const),
      before: fc.integer({ min: 1, max: 3_600_000 }),
    }),
  },
);

// The model's own idea of a period: the calendar month in UTC, as "YYYY-MM".
const monthOf = (t: number) => new Date(t).toISOString().slice(0, 7);
const LIMIT = 40;

describe('periods, as a property', () => {
  it('used stays within [0, limit]; outcomes match a model; each period keeps exactly what succeeded in it', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(cmd, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 364 * 86_400_000 }),
        async (cmds, offset) => {
          const start = Date.UTC(2026, 0, 1) + offset;
          const env = await makeEnv({ start });
          try {
            const { tenants, quotas } = env.tenancy;
            const t = await tenants.create(OPERATOR, { name: 'P', slug: 'prop' });
            await quotas.setOverride(at(t.id), { quota: 'executionsThisMonth', limit: LIMIT });
            const totals = new Map<string, number>([[monthOf(start), 0]]);
            // key -> first amount and expiry: the later of its period's end and 24 h (DEFAULT_IDEMPOTENCY_TTL_MS)
            const keys = new Map<string, { amount: number; expiresAt: number }>();
            for (const c of cmds) {
              const month = monthOf(env.clock.now());
              const used = totals.get(month) ?? 0;
              const now = env.clock.now();
              let replay = false;
              if (c.op === 'jump') {
                env.clock.advance(c.ms);
                continue;
              }
              if (c.op === 'edge') {
                const d = new Date(now);
                env.clock.set(Math.max(now, Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1) - c.before));
                continue;
              }
              if (c.op === 'release') {
                const r = await quotas.release(at(t.id), { quota: 'executionsThisMonth', amount: c.amount });
                totals.set(month, Math.max(0, used - c.amount));
                expect(r.used).toBe(totals.get(month));
              } else {
                const held = c.key === null ? undefined : keys.get(c.key);
                const prior = held && held.expiresAt > now ? held.amount : undefined;
                const outcome = await quotas
                  .consume(at(t.id), {
                    quota: 'executionsThisMonth',
                    amount: c.amount,
                    ...(c.key ? { idempotencyKey: c.key } : {}),
                  })
                  .catch((e) => e);
                if (prior !== undefined) {
                  replay = true;
                  if (prior === c.amount) expect(outcome.replayed).toBe(true);
                  else expect(outcome).toBeInstanceOf(ConflictError);
                } else if (used + c.amount <= LIMIT) {
                  expect(outcome).toMatchObject({ replayed: false, used: used + c.amount });
                  totals.set(month, used + c.amount);
                  if (c.key) {
                    const monthEnd = Date.UTC(
                      new Date(now).getUTCFullYear(),
                      new Date(now).getUTCMonth() + 1,
                    );
                    keys.set(c.key, {
                      amount: c.amount,
                      expiresAt: Math.max(monthEnd, now + DEFAULT_IDEMPOTENCY_TTL_MS),
                    });
                  }
                } else {
                  expect(outcome).toBeInstanceOf(QuotaExceededError);
                }
              }
              const row = quotaRow(env.raw, t.id, 'executionsThisMonth')!;
              expect(row.used).toBeGreaterThanOrEqual(0);
              expect(row.used).toBeLessThanOrEqual(LIMIT);
              // a replay touches nothing, so it does not roll an ended period over either
              if (!replay) expect(monthOf(row.period_start!)).toBe(month);
            }
            await quotas.resetExpiredPeriods();
            const current = monthOf(env.clock.now());
            const history = await quotas.history(at(t.id), { quota: 'executionsThisMonth' });
            const stored = new Map(history.map((h) => [monthOf(h.periodStart), h.used]));
            stored.set(
              current,
              (await quotas.usage(at(t.id))).quotas.find((q) => q.quota === 'executionsThisMonth')!.used,
            );
            for (const [m, total] of totals) {
              if (m === current || total > 0 || stored.has(m)) expect(stored.get(m), m).toBe(total);
            }
            for (const [m, total] of stored) expect(totals.get(m) ?? 0, m).toBe(total);
            // closed periods tile: each starts where the previous one ended
            const closed = [...history].reverse();
            for (let i = 1; i < closed.length; i++) {
              expect(closed[i]!.periodStart).toBeGreaterThanOrEqual(closed[i - 1]!.periodEnd);
            }
          } finally {
            await env.cleanup();
          }
        },
      ),
      { numRuns: 60 },
    );
  }, 120_000);
});
