import {
  ConflictError,
  type ConsumeOutcome,
  type ConsumeRequest,
  type Lease,
  NotFoundError,
  parseInput,
  QuotaExceededError,
  type QuotaEnforcement,
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
import {
  type ConsumeResult,
  DEFAULT_IDEMPOTENCY_TTL_MS,
  type HeldLease,
  type LeaseRef,
  type QuotaUsageItem,
  remaining,
  type TenantUsage,
} from './quota-types.js';
import { SoftThresholds } from './soft-thresholds.js';

/**
 * Quotas on the QuotaStore port: atomic consume (with idempotency keys), release, concurrency leases,
 * lazily rolled billing periods, soft-limit thresholds, overrides and usage.
 */
export class QuotaService<P extends TenancyPorts = TenancyPorts> {
  readonly #d: TenancyDeps<P>;
  readonly #idempotencyTtlMs: number;
  readonly #thresholds: SoftThresholds<P>;
  // Enforcement by tenant|quota, as last seen (bounded; a hint that picks the consume path only).
  readonly #enforcement = new Map<string, QuotaEnforcement>();

  /** @internal use {@link createTenancy} */
  constructor(deps: TenancyDeps<P>, idempotencyTtlMs = DEFAULT_IDEMPOTENCY_TTL_MS) {
    this.#d = deps;
    this.#idempotencyTtlMs = idempotencyTtlMs;
    this.#thresholds = new SoftThresholds(deps);
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
    const key = `${req.tenantId}|${req.quota}`;
    for (;;) {
      // A soft quota consumes in a transaction with its threshold records and events; a hard one is the
      // single conditional UPDATE.
      const soft = (await this.#enforcementOf(req.tenantId, req.quota)) === 'soft';
      const { out, committed } = soft
        ? await this.#d.store.transaction((tx) => this.#consumeSoft(tx, req))
        : { out: await this.#d.store.quotas.consume(req), committed: undefined };
      switch (out.status) {
        case 'consumed': {
          committed?.();
          this.#remember(key, out.enforcement);
          if (!soft && out.enforcement === 'soft' && !out.replayed && out.limit > 0) {
            // The quota turned soft since this process looked (a plan changed elsewhere): the consume has
            // committed, so its thresholds get a transaction of their own (a record never written is made by
            // the next consume).
            const done = await this.#d.store.transaction((tx) =>
              this.#thresholds.check(
                tx,
                req.tenantId,
                req.quota,
                out.used,
                out.limit,
                out.periodStart,
                req.now,
              ),
            );
            done();
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
  ): Promise<HeldLease> {
    const id = parseInput(tenantIdSchema, tenantId, 'tenant id');
    const input = { tenantId: id, ...parseInput(acquireSchema, opts, 'quota.acquireSlot') };
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
    return { ...out.lease, ttlMs: input.ttlMs };
  }

  /**
   * Extends a lease to `ttlMs` from now; without `ttlMs`, by the TTL the held lease (from `acquireSlot` or
   * `renew`) carries. A stored lease (from `usage`) carries none: pass `ttlMs`. NotFoundError once it expired or
   * was released.
   */
  async renew(lease: LeaseRef & { ttlMs?: number }, opts: { ttlMs?: number } = {}): Promise<HeldLease> {
    const ref = parseInput(leaseRefSchema, { id: lease?.id, tenantId: lease?.tenantId }, 'lease');
    // Not expiresAt - acquiredAt: acquiredAt stays put, so that would grow the TTL by every renewal's age.
    const ttlMs = parseInput(acquireSchema.shape.ttlMs, opts?.ttlMs ?? lease.ttlMs, 'ttlMs');
    const now = this.#d.clock.now();
    const renewed = await this.#d.store.quotas.renewLease(ref.tenantId, ref.id, now + ttlMs, now);
    if (!renewed) throw new NotFoundError(`lease ${ref.id} is no longer held (expired or released)`);
    return { ...renewed, ttlMs };
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

  async #consumeSoft(
    tx: P,
    req: ConsumeRequest,
  ): Promise<{ out: ConsumeOutcome; committed: (() => void) | undefined }> {
    const out = await tx.quotas.consume(req);
    if (out.status !== 'consumed' || out.enforcement !== 'soft' || out.replayed || out.limit <= 0) {
      return { out, committed: undefined };
    }
    const committed = await this.#thresholds.check(
      tx,
      req.tenantId,
      req.quota,
      out.used,
      out.limit,
      out.periodStart,
      req.now,
    );
    return { out, committed };
  }

  // The enforcement of a tenant's quota as last seen by this process (read once, then kept up to date from
  // consume outcomes); 'hard' for a row that does not exist (the consume then reports it missing).
  async #enforcementOf(tenantId: string, quota: string): Promise<QuotaEnforcement> {
    const key = `${tenantId}|${quota}`;
    const known = this.#enforcement.get(key);
    if (known) return known;
    const row = await this.#d.store.quotas.get(tenantId, quota);
    if (!row) return 'hard';
    this.#remember(key, row.enforcement);
    return row.enforcement;
  }

  #remember(key: string, enforcement: QuotaEnforcement): void {
    if (this.#enforcement.get(key) === enforcement) return;
    if (this.#enforcement.size >= 10_000) this.#enforcement.clear();
    this.#enforcement.set(key, enforcement);
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
