import {
  ConflictError,
  type ConsumeOutcome,
  type ConsumeRequest,
  type ExecutionContext,
  NotFoundError,
  parseInput,
  type QuotaPeriodRecord,
  type QuotaState,
  ValidationError,
} from '@ax/core';
import type { z } from 'zod';
import { tenantOf } from './context.js';
import { acquireSlot, releaseSlot, renewSlot } from './leases.js';
import { applyPlanLimits } from './limits.js';
import { emitIn, type TenancyDeps, type TenancyPorts, type TxOptions } from './ports.js';
import {
  type ConsumeResult,
  DEFAULT_IDEMPOTENCY_TTL_MS,
  type HeldLease,
  type QuotaUsageItem,
  remaining,
  type TenantUsage,
} from './quota-types.js';
import {
  acquireSchema,
  consumeSchema,
  historySchema,
  overrideSchema,
  refundSchema,
  releaseSchema,
  releaseSlotSchema,
  type renewSchema,
  txOptionsSchema,
} from './schemas.js';
import { QuotaHints } from './quota-hints.js';
import { SoftThresholds } from './soft-thresholds.js';
import { exceeded, missing, rollover } from './quota-steps.js';

/** Input of {@link QuotaService.consume}. */
export type ConsumeInput = z.input<typeof consumeSchema>;
/** Input of {@link QuotaService.release}. */
export type ReleaseInput = z.input<typeof releaseSchema>;
/** Input of {@link QuotaService.refund}. */
export type RefundInput = z.input<typeof refundSchema>;
/** Input of {@link QuotaService.acquireSlot}. */
export type AcquireSlotInput = z.input<typeof acquireSchema>;
/** Input of {@link QuotaService.renew}. */
export type RenewInput = z.input<typeof renewSchema>;
/** Input of {@link QuotaService.releaseSlot}. */
export type ReleaseSlotInput = z.input<typeof releaseSlotSchema>;
/** Input of {@link QuotaService.setOverride}. */
export type OverrideInput = z.input<typeof overrideSchema>;

/** What {@link QuotaService.refund} did. */
export interface RefundResult {
  /** True when this call gave the usage back; false when the key is unknown, already refunded, or its period closed. */
  refunded: boolean;
  /** What this call gave back (0 when nothing). */
  amount: number;
}

/**
 * Quotas on the QuotaStore port: atomic consume (with idempotency keys), release, refund, concurrency leases,
 * lazily rolled billing periods, soft-limit thresholds, overrides and usage. Every method takes the execution
 * context (the tenant is `ctx.tenantId`, the actor `ctx.actor`), its input, and `{ tx }` to run inside the
 * caller's transaction.
 */
export class QuotaService<P extends TenancyPorts = TenancyPorts> {
  readonly #d: TenancyDeps<P>;
  readonly #idempotencyTtlMs: number;
  readonly #thresholds: SoftThresholds<P>;
  readonly #hints = new QuotaHints();

  /** @internal use {@link createTenancy} */
  constructor(deps: TenancyDeps<P>, idempotencyTtlMs = DEFAULT_IDEMPOTENCY_TTL_MS) {
    this.#d = deps;
    this.#idempotencyTtlMs = idempotencyTtlMs;
    this.#thresholds = new SoftThresholds(deps);
  }

  /**
   * Adds `amount` to a quota of `ctx.tenantId` only if it fits (`used + amount <= limit`, or the quota is
   * unlimited or soft): one atomic conditional update. Otherwise throws QuotaExceededError and writes nothing.
   * With an `idempotencyKey`, the first call's result is kept for the period and returned to every retry.
   * With `{ tx }`, everything (a period rollover, threshold records, events) happens in the caller's transaction.
   */
  async consume(ctx: ExecutionContext, input: ConsumeInput, opts?: TxOptions<P>): Promise<ConsumeResult> {
    const { tenantId, actor } = tenantOf(ctx, 'quota.consume');
    const q = parseInput(consumeSchema, input, 'quota.consume');
    const tx = txOf(opts);
    this.#counted(q.quota);
    const now = this.#d.clock.now();
    for (;;) {
      // A soft quota consumes in a transaction with its threshold records and events; a hard one outside a
      // caller's transaction is the single conditional UPDATE.
      const hint =
        tx && !q.idempotencyKey
          ? undefined
          : await this.#hints.of(tx ?? this.#d.store, tenantId, q.quota, now);
      const req: ConsumeRequest = {
        tenantId,
        quota: q.quota,
        amount: q.amount,
        now,
        // A key is kept to the end of the period it counts in, and never less than the TTL: a retry that lands
        // just after the period ended must replay, not be counted again in the next period.
        ...(q.idempotencyKey
          ? {
              idempotency: {
                key: q.idempotencyKey,
                expiresAt: Math.max(now + this.#idempotencyTtlMs, hint?.periodEnd ?? 0),
              },
            }
          : {}),
      };
      let soft = true;
      let out: ConsumeOutcome;
      if (tx) out = await this.#consumeIn(tx, req);
      else {
        soft = hint?.enforcement === 'soft';
        out = soft
          ? await this.#d.store.transaction((t) => this.#consumeIn(t, req))
          : await this.#d.store.quotas.consume(req);
      }
      switch (out.status) {
        case 'consumed': {
          this.#hints.remember(tenantId, q.quota, { enforcement: out.enforcement, periodEnd: out.periodEnd });
          if (!soft && out.enforcement === 'soft' && !out.replayed && out.limit > 0) {
            // The quota turned soft since this process looked (a plan changed elsewhere): the consume has
            // committed, so its thresholds get a transaction of their own (a record never written is made by
            // the next consume).
            await this.#d.store.transaction((t) =>
              this.#thresholds.check(t, tenantId, q.quota, out.used, out.limit, out.periodStart, now),
            );
          }
          return {
            tenantId,
            quota: q.quota,
            amount: q.amount,
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
          throw await exceeded(this.#d, tx, actor, tenantId, q.quota, out.used, out.limit, q.amount, now);
        case 'periodEnded':
          await rollover(this.#d, tx, tenantId, q.quota, out.periodStart, out.periodEnd, now);
          break;
        case 'keyConflict':
          throw new ConflictError(
            `idempotency key was first used to consume ${out.amount} of ${q.quota}, not ${q.amount}`,
            { details: { quota: q.quota, firstAmount: out.amount, amount: q.amount } },
          );
        case 'missing':
          throw await missing(this.#d, tx, tenantId, q.quota);
      }
    }
  }

  /** Gives back `amount` of a quota that goes down (storage, workflows); usage never goes below zero. */
  async release(ctx: ExecutionContext, input: ReleaseInput, opts?: TxOptions<P>): Promise<QuotaUsageItem> {
    const { tenantId } = tenantOf(ctx, 'quota.release');
    const q = parseInput(releaseSchema, input, 'quota.release');
    const tx = txOf(opts);
    this.#counted(q.quota);
    const now = this.#d.clock.now();
    for (;;) {
      const out = await (tx ?? this.#d.store).quotas.release(tenantId, q.quota, q.amount, now);
      if (out.status === 'released') return usageItem(out.state, out.state.used);
      if (out.status === 'missing') throw await missing(this.#d, tx, tenantId, q.quota);
      await rollover(this.#d, tx, tenantId, q.quota, out.periodStart, out.periodEnd, now);
    }
  }

  /**
   * Gives back exactly what the consume with `idempotencyKey` took, at most once, and only while the period it
   * was consumed in is current (a closed period's usage is history). A second refund, an unknown or expired
   * key, or a closed period return `{ refunded: false, amount: 0 }`. A consume retried with a refunded key
   * counts again.
   */
  async refund(ctx: ExecutionContext, input: RefundInput, opts?: TxOptions<P>): Promise<RefundResult> {
    const { tenantId } = tenantOf(ctx, 'quota.refund');
    const q = parseInput(refundSchema, input, 'quota.refund');
    const tx = txOf(opts);
    this.#counted(q.quota);
    const now = this.#d.clock.now();
    const out = await (tx ?? this.#d.store).quotas.refund(tenantId, q.quota, q.idempotencyKey, now);
    return out.status === 'refunded'
      ? { refunded: true, amount: out.amount }
      : { refunded: false, amount: 0 };
  }

  /**
   * Takes a concurrency slot of `ctx.tenantId` for `ttlMs`. Expired leases (crashed holders) are reclaimed
   * first; when every slot is held, QuotaExceededError. Renew before the TTL runs out to keep it.
   */
  async acquireSlot(ctx: ExecutionContext, input: AcquireSlotInput, opts?: TxOptions<P>): Promise<HeldLease> {
    const { tenantId, actor } = tenantOf(ctx, 'quota.acquireSlot');
    const q = parseInput(acquireSchema, input, 'quota.acquireSlot');
    const tx = txOf(opts);
    const out = await acquireSlot(this.#d, tenantId, q, tx);
    if (out === null) throw await missing(this.#d, tx, tenantId, q.quota);
    if ('exceeded' in out) {
      const { active, limit } = out.exceeded;
      throw await exceeded(this.#d, tx, actor, tenantId, q.quota, active, limit, 1, out.now);
    }
    return out;
  }

  /**
   * Extends a lease to `ttlMs` from now; without `ttlMs`, by the TTL the held lease (from `acquireSlot` or
   * `renew`) carries. A stored lease (from `usage`) carries none: pass `ttlMs`. NotFoundError once it expired,
   * was released, or is another tenant's.
   */
  async renew(ctx: ExecutionContext, input: RenewInput, opts?: TxOptions<P>): Promise<HeldLease> {
    const { tenantId } = tenantOf(ctx, 'quota.renew');
    return renewSlot(this.#d, tenantId, input, txOf(opts));
  }

  /** Releases a concurrency lease; one already released, expired or of another tenant gives false. */
  async releaseSlot(ctx: ExecutionContext, input: ReleaseSlotInput, opts?: TxOptions<P>): Promise<boolean> {
    const { tenantId } = tenantOf(ctx, 'quota.releaseSlot');
    const q = parseInput(releaseSlotSchema, input, 'quota.releaseSlot');
    return releaseSlot(this.#d, tenantId, q, txOf(opts));
  }

  /**
   * Overrides the limit of one quota of `ctx.tenantId` (null goes back to the plan's). Applies to current usage,
   * which is kept. Emits `quota.overridden` in the transaction, with `ctx.actor`.
   */
  async setOverride(ctx: ExecutionContext, input: OverrideInput, opts?: TxOptions<P>): Promise<void> {
    const { tenantId, actor } = tenantOf(ctx, 'quota.setOverride');
    const q = parseInput(overrideSchema, input, 'quota.setOverride');
    this.#d.plans.quota(q.quota);
    const at = this.#d.clock.now();
    const run = async (tx: P) => {
      const tenant = await tx.tenants.get(tenantId);
      if (!tenant) throw new NotFoundError(`tenant ${tenantId} not found`);
      await applyPlanLimits(tx, this.#d.plans, tenant, tenant.plan, at, { [q.quota]: q.limit });
      await emitIn(this.#d, tx, 'quota.overridden', () => ({
        at,
        actor,
        tenantId,
        quota: q.quota,
        limit: q.limit,
      }));
    };
    const tx = txOf(opts);
    if (tx) await run(tx);
    else await this.#d.store.transaction(run);
  }

  /** Limits, usage, the current period and the active leases of `ctx.tenantId`, rolling ended periods over first. */
  async usage(ctx: ExecutionContext, opts?: TxOptions<P>): Promise<TenantUsage> {
    const { tenantId: id } = tenantOf(ctx, 'quota.usage');
    const tx = txOf(opts);
    const { tenants, quotas } = tx ?? this.#d.store;
    const tenant = await tenants.get(id);
    if (!tenant) throw new NotFoundError(`tenant ${id} not found`);
    const now = this.#d.clock.now();
    let states = await quotas.list(id);
    const ended = states.filter((s) => s.periodEnd !== null && s.periodEnd <= now);
    for (const s of ended) await rollover(this.#d, tx, id, s.quota, s.periodStart!, s.periodEnd!, now);
    if (ended.length > 0) states = await quotas.list(id);
    const leases = await quotas.activeLeases(id, now);
    const periodic = states.filter((s) => s.periodEnd !== null);
    return {
      tenantId: id,
      plan: tenant.plan,
      at: now,
      periodStart: periodic.length ? Math.min(...periodic.map((s) => s.periodStart!)) : null,
      periodEnd: periodic.length ? Math.min(...periodic.map((s) => s.periodEnd!)) : null,
      quotas: states.map((s) =>
        usageItem(s, s.kind === 'concurrency' ? leases.filter((l) => l.quota === s.quota).length : s.used),
      ),
      leases,
    };
  }

  /** Closed billing periods of `ctx.tenantId` (optionally one quota), newest first. */
  async history(
    ctx: ExecutionContext,
    input?: z.input<typeof historySchema>,
    opts?: TxOptions<P>,
  ): Promise<QuotaPeriodRecord[]> {
    const { tenantId } = tenantOf(ctx, 'quota.history');
    const { quota } = parseInput(historySchema, input, 'quota.history');
    if (quota !== undefined) this.#d.plans.quota(quota);
    return (txOf(opts) ?? this.#d.store).quotas.history(tenantId, quota);
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
        if (await rollover(this.#d, undefined, p.tenantId, p.quota, p.periodStart, p.periodEnd, now))
          progressed++;
      }
      closed += progressed;
      if (due.length < batchSize || progressed === 0) break;
    }
    await this.#d.store.quotas.purgeExpired(now);
    return closed;
  }

  async #consumeIn(tx: P, req: ConsumeRequest): Promise<ConsumeOutcome> {
    const out = await tx.quotas.consume(req);
    if (out.status === 'consumed' && out.enforcement === 'soft' && !out.replayed && out.limit > 0) {
      await this.#thresholds.check(
        tx,
        req.tenantId,
        req.quota,
        out.used,
        out.limit,
        out.periodStart,
        req.now,
      );
    }
    return out;
  }

  // Quotas counted by consume/release (not leases).
  #counted(quota: string): void {
    if (this.#d.plans.quota(quota).kind === 'concurrency') {
      throw new ValidationError(`quota ${quota} is held with acquireSlot, not consumed`, [
        { path: ['quota'], message: 'concurrency quotas use leases', code: 'custom' },
      ]);
    }
  }
}

function txOf<P>(opts: TxOptions<P & TenancyPorts> | undefined): P | undefined {
  return parseInput(txOptionsSchema, opts, 'options')?.tx as P | undefined;
}

function usageItem(s: QuotaState, used: number): QuotaUsageItem {
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
}
