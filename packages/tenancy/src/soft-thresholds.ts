import { onCommit, SYSTEM_ACTOR } from '@ax/core';
import { emitIn, type TenancyDeps, type TenancyPorts } from './ports.js';
import { SOFT_THRESHOLDS } from './quota-types.js';

/**
 * Soft limits: every threshold the usage has reached is recorded (insert-or-ignore) and announced the first
 * time only, through the caller's transaction `tx`, so a record and its event commit together: a listener
 * that writes an audit record through `tx` gets each threshold exactly once per period, and one that throws
 * rolls the record back (with the consume that reached it, when that runs in the same transaction).
 * Checking "reached" rather than "crossed by this call" heals a record that was never written: the next
 * consume makes it. Thresholds this process saw committed are skipped without a write.
 */
export class SoftThresholds<P extends TenancyPorts> {
  readonly #d: TenancyDeps<P>;
  // Highest threshold known committed, by tenant|quota|period|limit (bounded; a cache only).
  readonly #recorded = new Map<string, number>();

  constructor(deps: TenancyDeps<P>) {
    this.#d = deps;
  }

  /**
   * Records and announces, in `tx`, the thresholds `used` has reached for the first time in this period and
   * limit. Remembers them once `tx` has committed (a rollback must not).
   */
  async check(
    tx: P,
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
      if (!(await tx.quotas.recordThreshold(tenantId, quota, periodStart ?? 0, t, now))) continue;
      await emitIn(this.#d, tx, 'quota.threshold', () => ({
        at: now,
        actor: SYSTEM_ACTOR,
        tenantId,
        quota,
        threshold: t,
        used,
        limit,
        periodStart,
      }));
    }
    if (reached <= known) return;
    onCommit(tx, () => {
      if (reached <= (this.#recorded.get(cacheKey) ?? 0)) return;
      if (this.#recorded.size >= 10_000) this.#recorded.clear();
      this.#recorded.set(cacheKey, reached);
    });
  }
}
