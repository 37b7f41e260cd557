import { createRequire } from 'node:module';
import {
  AxError,
  parseInput,
  RateLimitExceededError,
  type RateLimiter,
  type RateLimiterResult,
  type RateLimitStore,
  ValidationError,
} from '@ax/core';
import { z } from 'zod';
import { tenantIdSchema } from './schemas.js';

/** A fixed-window limit: `points` per `durationSec`. */
export interface RateLimitRule {
  points: number;
  durationSec: number;
}

/** The seed design's defaults: 100 requests a minute per user, 500 a minute per tenant. */
export const DEFAULT_RATE_LIMITS: Readonly<{ user: RateLimitRule; tenant: RateLimitRule }> = Object.freeze({
  user: { points: 100, durationSec: 60 },
  tenant: { points: 500, durationSec: 60 },
});

/**
 * In-process limiters (rate-limiter-flexible's `RateLimiterMemory`), shaped as a store's `rateLimits` port: for
 * tests and single-process tools. Production passes its store's port (`store.rateLimits`).
 */
export function memoryRateLimits(): RateLimitStore {
  // Loaded on first use: its index loads every store it supports, a real cost for a process that never
  // rate-limits (most CLI commands).
  const { RateLimiterMemory } = createRequire(import.meta.url)(
    'rate-limiter-flexible',
  ) as typeof import('rate-limiter-flexible');
  return { limiter: (opts) => new RateLimiterMemory(opts) };
}

/** What a passed check returns: points left in each window. */
export interface RateLimitResult {
  tenantRemaining: number;
  /** Null when no user was given. */
  userRemaining: number | null;
  /** Milliseconds until the sooner of the two windows resets. */
  resetMs: number;
}

const checkSchema = z.object({
  tenantId: tenantIdSchema,
  userId: z.string().min(1).max(200).optional(),
  cost: z.number().int().positive().max(1_000_000).default(1),
});

const ruleSchema = z.object({
  points: z.number().int().positive(),
  durationSec: z.number().int().positive(),
});

/** Options of {@link RateLimitService}. */
export interface RateLimitOptions {
  /** Where the counters live: a store's `rateLimits` port (e.g. `store.rateLimits`); in-memory when absent. */
  store?: RateLimitStore;
  user?: RateLimitRule;
  tenant?: RateLimitRule;
  /** Key prefix in the store (default "ax"). */
  keyPrefix?: string;
}

/**
 * Per-user and per-tenant rate limits on rate-limiter-flexible. A request is charged against both limits;
 * when either is spent, RateLimitExceededError with the longer `retryAfterMs`. A request refused by one
 * limit is not charged to the other: the user is checked first and the tenant only read when the user is
 * refused (so one noisy user cannot spend the whole tenant's budget), and a user whose tenant refuses gets
 * its point back.
 */
export class RateLimitService {
  /** The limiter of each scope (for `get`, `delete`, `block` and friends). */
  readonly limiters: Readonly<{ user: RateLimiter; tenant: RateLimiter }>;
  readonly rules: Readonly<{ user: RateLimitRule; tenant: RateLimitRule }>;

  constructor(opts: RateLimitOptions = {}) {
    const user = parseInput(ruleSchema, opts.user ?? DEFAULT_RATE_LIMITS.user, 'user rate limit');
    const tenant = parseInput(ruleSchema, opts.tenant ?? DEFAULT_RATE_LIMITS.tenant, 'tenant rate limit');
    const store = opts.store ?? memoryRateLimits();
    const prefix = opts.keyPrefix ?? 'ax';
    this.rules = Object.freeze({ user, tenant });
    this.limiters = Object.freeze({
      user: store.limiter({ keyPrefix: `${prefix}:user`, points: user.points, duration: user.durationSec }),
      tenant: store.limiter({
        keyPrefix: `${prefix}:tenant`,
        points: tenant.points,
        duration: tenant.durationSec,
      }),
    });
  }

  /**
   * Charges `cost` (default 1) to the user, when given, and the tenant; throws RateLimitExceededError past
   * either, having charged neither (a refused scope keeps the attempt, as rate-limiter-flexible counts it).
   * A cost larger than a window's points can never pass: ValidationError.
   */
  async check(input: { tenantId: string; userId?: string; cost?: number }): Promise<RateLimitResult> {
    const q = parseInput(checkSchema, input, 'rate limit check');
    const most = Math.min(
      this.rules.tenant.points,
      q.userId === undefined ? Infinity : this.rules.user.points,
    );
    if (q.cost > most) {
      throw new ValidationError(
        `a cost of ${q.cost} exceeds what a window allows (${most}): it can never pass`,
        [{ path: ['cost'], message: `at most ${most}`, code: 'custom' }],
      );
    }
    const { user: userLimiter, tenant: tenantLimiter } = this.limiters;
    let user: Allowed | undefined;
    if (q.userId !== undefined) {
      const u = await settle(userLimiter.consume(q.userId, q.cost), 'user');
      if (u.denied) {
        // Not charged to the tenant; read only so that retryAfterMs also covers a tenant that is full.
        const t = await peek(tenantLimiter, q.tenantId, q.cost, this.rules.tenant.points);
        throw exceeded(q.tenantId, t ? [t, u] : [u]);
      }
      user = u;
    }
    const tenant = await settle(tenantLimiter.consume(q.tenantId, q.cost), 'tenant');
    if (tenant.denied) {
      if (q.userId !== undefined) await settle(userLimiter.reward(q.userId, q.cost), 'user');
      throw exceeded(q.tenantId, [tenant]);
    }
    const tRes = tenant.res;
    const uRes = user?.res;
    return {
      tenantRemaining: tRes.remainingPoints,
      userRemaining: uRes ? uRes.remainingPoints : null,
      resetMs: uRes ? Math.min(tRes.msBeforeNext, uRes.msBeforeNext) : tRes.msBeforeNext,
    };
  }
}

function exceeded(tenantId: string, denied: Denied[]): RateLimitExceededError {
  const retryAfterMs = Math.max(...denied.map((d) => d.res.msBeforeNext));
  return new RateLimitExceededError(retryAfterMs, {
    details: { scopes: denied.map((d) => d.scope), tenantId },
  });
}

// The tenant's window as it stands, as a refusal when `cost` more would not fit; null when it would.
async function peek(limiter: RateLimiter, key: string, cost: number, points: number): Promise<Denied | null> {
  const r = await settle(limiter.get(key), 'tenant');
  const res = r.res;
  if (!res || res.consumedPoints + cost <= points) return null;
  return { denied: true, scope: 'tenant', res };
}

interface Allowed {
  denied: false;
  res: RateLimiterResult;
}
interface Denied {
  denied: true;
  scope: 'user' | 'tenant';
  res: RateLimiterResult;
}

// A limiter rejects with a result (not an Error) when the limit is hit, with an Error when its store fails.
function isRefusal(reason: unknown): reason is RateLimiterResult {
  return (
    typeof reason === 'object' &&
    reason !== null &&
    !(reason instanceof Error) &&
    typeof (reason as RateLimiterResult).msBeforeNext === 'number'
  );
}

async function settle<R extends RateLimiterResult | null>(
  p: Promise<R>,
  scope: 'user' | 'tenant',
): Promise<{ denied: false; res: R } | Denied> {
  try {
    return { denied: false, res: await p };
  } catch (reason) {
    if (isRefusal(reason)) return { denied: true, scope, res: reason };
    throw new AxError('INTERNAL', 503, `rate limit store failed (${scope})`, { cause: reason });
  }
}
