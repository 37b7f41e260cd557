import {
  ConflictError,
  type ConsumeOutcome,
  type Lease,
  NotFoundError,
  parseInput,
  type QuotaEnforcement,
  QuotaExceededError,
  type QuotaKind,
  type QuotaPeriodRecord,
  SYSTEM_ACTOR,
  ValidationError,
} from '@ax/core';
import { nextBillingPeriod } from './periods.js';
import type { ChangeOptions, TenancyDeps, TenancyPorts } from './ports.js';
import {
  acquireSchema,
  changeOptionsSchema,
  consumeSchema,
  leaseRefSchema,
  overrideSchema,
  releaseSchema,
  tenantIdSchema,
} from './schemas.js';
import { applyPlanLimits } from './limits.js';

/** Soft-limit thresholds, in percent of the limit. */
export const SOFT_THRESHOLDS: readonly number[] = Object.freeze([80, 100, 120]);

/** How long an idempotency key of a quota without periods is kept (24 h); periodic quotas keep it to the period's end. */
export const DEFAULT_IDEMPOTENCY_TTL_MS = 24 * 3_600_000;

/** What a successful consume returns (a retried idempotency key returns the first call's result). */
export interface ConsumeResult {
  tenantId: string;
  quota: string;
  amount: number;
  /** Usage after the consume. */
  used: number;
  /** -1 when unlimited. */
  limit: number;
  /** What is left before the limit; null when unlimited (and 0 once a soft limit is passed). */
  remaining: number | null;
  enforcement: QuotaEnforcement;
  periodStart: number | null;
  periodEnd: number | null;
  /** True when this is a retry of an earlier call with the same idempotency key: nothing was consumed now. */
  replayed: boolean;
}

/** One quota in {@link TenantUsage}. */
export interface QuotaUsageItem {
  quota: string;
  kind: QuotaKind;
  enforcement: QuotaEnforcement;
  limit: number;
  /** True when the limit is a per-tenant override rather than the plan's. */
  overridden: boolean;
  /** Current usage; for concurrency quotas, the number of active leases. */
  used: number;
  remaining: number | null;
  periodStart: number | null;
  periodEnd: number | null;
}

/** A tenant's live usage. */
export interface TenantUsage {
  tenantId: string;
  plan: string;
  at: number;
  /** End of the current billing period (null when the tenant has no periodic quota). */
  periodStart: number | null;
  periodEnd: number | null;
  quotas: QuotaUsageItem[];
  leases: Lease[];
}

/** A lease reference: the lease itself, or its id and tenant. */
export type LeaseRef = Pick<Lease, 'id' | 'tenantId'>;

function remaining(limit: number, used: number): number | null {
  return limit < 0 ? null : Math.max(0, limit - used);
}

/**
 * Quotas on the QuotaStore port: atomic consume (with idempotency keys), release, concurrency leases,
 * lazily rolled billing periods, soft-limit thresholds, overrides and usage.
 */
export class QuotaService<P extends TenancyPorts = TenancyPorts> {
  readonly #d: TenancyDeps<P>;
  readonly #idempotencyTtlMs: number;
  // Highest soft-limit threshold known recorded, by tenant|quota|period|limit (bounded; a cache only).
  readonly #recorded = new Map<string, number>();

  /** @internal use {@link createTenancy} */
  constructor(deps: TenancyDeps<P>, idempotencyTtlMs = DEFAULT_IDEMPOTENCY_TTL_MS) {
    this.#d = deps;
    this.#idempotencyTtlMs = idempotencyTtlMs;
  }

  /**
   * Adds `amount` to a quota only if it fits (`used + amount <= limit`, or the quota is unlimited or soft):
   * one atomic conditional update. Otherwise throws QuotaExceededError and writes nothing. With an
   * `idempotencyKey`, the first call's result is kept for the period and returned to every retry.
   */
  async consume(
    tenantId: string,
    quota: string,
    amount: number,
    opts?: { idempotencyKey?: string },
  ): Promise<ConsumeResult> {
    const input = parseInput(
      consumeSchema,
      { tenantId, quota, amount, idempotencyKey: opts?.idempotencyKey },
      'quota.consume',
    );
    this.#counted(input.quota);
    const req = {
      tenantId: input.tenantId,
      quota: input.quota,
      amount: input.amount,
      now: this.#d.clock.now(),
      ...(input.idempotencyKey
        ? { idempotency: { key: input.idempotencyKey, ttlMs: this.#idempotencyTtlMs } }
        : {}),
    };
    for (;;) {
      const out: ConsumeOutcome = await this.#d.store.quotas.consume(req);
      switch (out.status) {
        case 'consumed': {
          if (out.enforcement === 'soft' && !out.replayed && out.limit > 0) {
            await this.#thresholds(req.tenantId, req.quota, out.used, out.limit, out.periodStart, req.now);
          }
          return {
            tenantId: req.tenantId,
            quota: req.quota,
            amount: req.amount,
            used: out.used,
            limit: out.limit,
            remaining: remaining(out.limit, out.used),
            enforcement: out.enforcement,
            periodStart: out.periodStart,
            periodEnd: out.periodEnd,
            replayed: out.replayed,
          };
        }
        case 'exceeded':
          throw await this.#exceeded(req.tenantId, req.quota, out.used, out.limit, req.amount, req.now);
        case 'periodEnded':
          await this.#rollover(req.tenantId, req.quota, out.periodStart, out.periodEnd, req.now);
          break;
        case 'keyConflict':
          throw new ConflictError(
            `idempotency key was first used to consume ${out.amount} of ${req.quota}, not ${req.amount}`,
            { details: { quota: req.quota, firstAmount: out.amount, amount: req.amount } },
          );
        case 'missing':
          throw await this.#missing(req.tenantId, req.quota);
      }
    }
  }

  /** Gives back `amount` of a quota that goes down (storage, workflows); usage never goes below zero. */
  async release(tenantId: string, quota: string, amount: number): Promise<QuotaUsageItem>;
  /** Releases a concurrency lease; releasing one already released (or expired) is harmless and returns false. */
  async release(lease: LeaseRef): Promise<boolean>;
  async release(
    tenantOrLease: string | LeaseRef,
    quota?: string,
    amount?: number,
  ): Promise<QuotaUsageItem | boolean> {
    if (typeof tenantOrLease !== 'string') {
      const ref = parseInput(
        leaseRefSchema,
        { id: tenantOrLease?.id, tenantId: tenantOrLease?.tenantId },
        'lease',
      );
      return this.#d.store.quotas.releaseLease(ref.tenantId, ref.id);
    }
    const input = parseInput(releaseSchema, { tenantId: tenantOrLease, quota, amount }, 'quota.release');
    this.#counted(input.quota);
    const now = this.#d.clock.now();
    for (;;) {
      const out = await this.#d.store.quotas.release(input.tenantId, input.quota, input.amount, now);
      if (out.status === 'released') {
        const s = out.state;
        return {
          quota: s.quota,
          kind: s.kind,
          enforcement: s.enforcement,
          limit: s.limit,
          overridden: s.overrideLimit !== null,
          used: s.used,
          remaining: remaining(s.limit, s.used),
          periodStart: s.periodStart,
          periodEnd: s.periodEnd,
        };
      }
      if (out.status === 'missing') throw await this.#missing(input.tenantId, input.quota);
      await this.#rollover(input.tenantId, input.quota, out.periodStart, out.periodEnd, now);
    }
  }

  /**
   * Takes a concurrency slot for `ttlMs`. Expired leases (crashed holders) are reclaimed first; when every
   * slot is held, QuotaExceededError. Renew before the TTL runs out to keep it.
   */
  async acquireSlot(
    tenantId: string,
    opts: { ttlMs: number; holder?: string; quota?: string },
  ): Promise<Lease> {
    const input = parseInput(acquireSchema, { tenantId, ...opts }, 'quota.acquireSlot');
    if (this.#d.plans.quota(input.quota).kind !== 'concurrency') {
      throw new ValidationError(`quota ${input.quota} is not a concurrency quota`, [
        { path: ['quota'], message: 'not a concurrency quota', code: 'custom' },
      ]);
    }
    const now = this.#d.clock.now();
    const lease: Lease = {
      id: this.#d.ids.next('lease'),
      tenantId: input.tenantId,
      quota: input.quota,
      holder: input.holder ?? null,
      acquiredAt: now,
      expiresAt: now + input.ttlMs,
    };
    const out = await this.#d.store.quotas.acquireLease(lease, now);
    if (out.status === 'missing') throw await this.#missing(input.tenantId, input.quota);
    if (out.reclaimed > 0 && this.#d.events.has('lease.reclaimed')) {
      await this.#d.events.emit(
        'lease.reclaimed',
        { at: now, actor: SYSTEM_ACTOR, tenantId: input.tenantId, quota: input.quota, count: out.reclaimed },
        { tx: undefined },
      );
    }
    if (out.status === 'exceeded') {
      throw await this.#exceeded(input.tenantId, input.quota, out.active, out.limit, 1, now);
    }
    return out.lease;
  }

  /** Extends a lease by `ttlMs` (default: its original TTL) from now. NotFoundError once it expired or was released. */
  async renew(
    lease: LeaseRef & { acquiredAt?: number; expiresAt?: number },
    opts: { ttlMs?: number } = {},
  ): Promise<Lease> {
    const ref = parseInput(leaseRefSchema, { id: lease?.id, tenantId: lease?.tenantId }, 'lease');
    const fallback =
      lease.expiresAt !== undefined && lease.acquiredAt !== undefined
        ? lease.expiresAt - lease.acquiredAt
        : undefined;
    const ttl = parseInput(acquireSchema.shape.ttlMs, opts.ttlMs ?? fallback, 'ttlMs');
    const now = this.#d.clock.now();
    const renewed = await this.#d.store.quotas.renewLease(ref.tenantId, ref.id, now + ttl, now);
    if (!renewed) throw new NotFoundError(`lease ${ref.id} is no longer held (expired or released)`);
    return renewed;
  }

  /**
   * Overrides one tenant's limit for a quota (null goes back to the plan's). Applies to current usage, which
   * is kept.
   */
  async setOverride(
    tenantId: string,
    quota: string,
    limit: number | null,
    opts?: ChangeOptions<P>,
  ): Promise<void> {
    const input = parseInput(overrideSchema, { tenantId, quota, limit }, 'quota.setOverride');
    this.#d.plans.quota(input.quota);
    const o = parseInput(changeOptionsSchema, opts, 'options');
    const at = this.#d.clock.now();
    const run = async (tx: P) => {
      const tenant = await tx.tenants.get(input.tenantId);
      if (!tenant) throw new NotFoundError(`tenant ${input.tenantId} not found`);
      await applyPlanLimits(tx, this.#d.plans, tenant, tenant.plan, at, { [input.quota]: input.limit });
      await this.#d.events.emit(
        'quota.overridden',
        {
          at,
          actor: o?.actor ?? SYSTEM_ACTOR,
          tenantId: input.tenantId,
          quota: input.quota,
          limit: input.limit,
        },
        { tx },
      );
    };
    if (opts?.tx) await run(opts.tx);
    else await this.#d.store.transaction(run);
  }

  /** Limits, usage, the current period and the active leases of a tenant, rolling ended periods over first. */
  async usage(tenantId: string): Promise<TenantUsage> {
    const id = parseInput(tenantIdSchema, tenantId, 'tenant id');
    const { tenants, quotas } = this.#d.store;
    const tenant = await tenants.get(id);
    if (!tenant) throw new NotFoundError(`tenant ${id} not found`);
    const now = this.#d.clock.now();
    let states = await quotas.list(id);
    const ended = states.filter((s) => s.periodEnd !== null && s.periodEnd <= now);
    for (const s of ended) await this.#rollover(id, s.quota, s.periodStart!, s.periodEnd!, now);
    if (ended.length > 0) states = await quotas.list(id);
    const leases = await quotas.activeLeases(id, now);
    const periodic = states.filter((s) => s.periodEnd !== null);
    const items: QuotaUsageItem[] = states.map((s) => {
      const used = s.kind === 'concurrency' ? leases.filter((l) => l.quota === s.quota).length : s.used;
      return {
        quota: s.quota,
        kind: s.kind,
        enforcement: s.enforcement,
        limit: s.limit,
        overridden: s.overrideLimit !== null,
        used,
        remaining: remaining(s.limit, used),
        periodStart: s.periodStart,
        periodEnd: s.periodEnd,
      };
    });
    return {
      tenantId: id,
      plan: tenant.plan,
      at: now,
      periodStart: periodic.length ? Math.min(...periodic.map((s) => s.periodStart!)) : null,
      periodEnd: periodic.length ? Math.min(...periodic.map((s) => s.periodEnd!)) : null,
      quotas: items,
      leases,
    };
  }

  /** Closed billing periods of a tenant (optionally one quota), newest first. */
  async history(tenantId: string, quota?: string): Promise<QuotaPeriodRecord[]> {
    const id = parseInput(tenantIdSchema, tenantId, 'tenant id');
    if (quota !== undefined) this.#d.plans.quota(parseInput(consumeSchema.shape.quota, quota, 'quota'));
    return this.#d.store.quotas.history(id, quota);
  }

  /**
   * Rolls over every period that has ended, for a scheduler; without one, periods roll over lazily on first
   * access. Also purges expired leases and idempotency records. Returns how many periods it closed.
   */
  async resetExpiredPeriods(batchSize = 500): Promise<number> {
    const now = this.#d.clock.now();
    let closed = 0;
    for (;;) {
      const due = await this.#d.store.quotas.duePeriods(now, batchSize);
      let progressed = 0;
      for (const p of due) {
        if (await this.#rollover(p.tenantId, p.quota, p.periodStart, p.periodEnd, now)) progressed++;
      }
      closed += progressed;
      if (due.length < batchSize || progressed === 0) break;
    }
    await this.#d.store.quotas.purgeExpired(now);
    return closed;
  }

  // Quotas counted by consume/release (not leases).
  #counted(quota: string): void {
    if (this.#d.plans.quota(quota).kind === 'concurrency') {
      throw new ValidationError(`quota ${quota} is held with acquireSlot, not consumed`, [
        { path: ['quota'], message: 'concurrency quotas use leases', code: 'custom' },
      ]);
    }
  }

  async #rollover(tenantId: string, quota: string, periodStart: number, periodEnd: number, now: number) {
    const tenant = await this.#d.store.tenants.get(tenantId);
    const next = nextBillingPeriod(now, tenant?.billingAnchorDay ?? null, periodEnd);
    const closed = await this.#d.store.quotas.rollover(tenantId, quota, periodStart, next, now);
    if (closed && this.#d.events.has('quota.periodClosed')) {
      await this.#d.events.emit(
        'quota.periodClosed',
        { at: now, actor: SYSTEM_ACTOR, tenantId, quota, periodStart, periodEnd },
        { tx: undefined },
      );
    }
    return closed;
  }

  // Soft limits: every threshold the usage has reached is recorded (insert-or-ignore) and announced the first
  // time only. Checking "reached" rather than "crossed by this call" heals a crash between the consume and the
  // record: the next consume records it. Thresholds this process saw recorded are skipped without a write.
  async #thresholds(
    tenantId: string,
    quota: string,
    used: number,
    limit: number,
    periodStart: number | null,
    now: number,
  ): Promise<void> {
    const cacheKey = `${tenantId}|${quota}|${periodStart ?? 0}|${limit}`;
    const known = this.#recorded.get(cacheKey) ?? 0;
    let reached = 0;
    for (const t of SOFT_THRESHOLDS) {
      if (used * 100 < t * limit) break;
      reached = t;
      if (t <= known) continue;
      if (!(await this.#d.store.quotas.recordThreshold(tenantId, quota, periodStart ?? 0, t, now))) continue;
      if (this.#d.events.has('quota.threshold')) {
        await this.#d.events.emit(
          'quota.threshold',
          { at: now, actor: SYSTEM_ACTOR, tenantId, quota, threshold: t, used, limit, periodStart },
          { tx: undefined },
        );
      }
    }
    if (reached > known) {
      if (this.#recorded.size >= 10_000) this.#recorded.clear();
      this.#recorded.set(cacheKey, reached);
    }
  }

  async #exceeded(
    tenantId: string,
    quota: string,
    used: number,
    limit: number,
    requested: number,
    now: number,
  ) {
    if (this.#d.events.has('quota.exceeded')) {
      await this.#d.events.emit(
        'quota.exceeded',
        { at: now, actor: SYSTEM_ACTOR, tenantId, quota, used, limit, requested },
        { tx: undefined },
      );
    }
    return new QuotaExceededError({ quota, limit, used, requested, tenantId });
  }

  async #missing(tenantId: string, quota: string): Promise<ValidationError> {
    const tenant = await this.#d.store.tenants.get(tenantId);
    if (!tenant) {
      return new ValidationError(`unknown tenant ${tenantId}`, [
        { path: ['tenantId'], message: 'unknown tenant', code: 'custom' },
      ]);
    }
    return new ValidationError(
      `quota ${quota} is not provisioned for tenant ${tenantId}; re-apply its plan (syncQuotas)`,
      [{ path: ['quota'], message: 'quota not provisioned for this tenant', code: 'custom' }],
    );
  }
}
