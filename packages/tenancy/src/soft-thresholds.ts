import { SYSTEM_ACTOR } from '@ax/core';
import type { TenancyDeps, TenancyPorts } from './ports.js';
import { SOFT_THRESHOLDS } from './quota-types.js';

/**
 * Soft limits: every threshold the usage has reached is recorded (insert-or-ignore) and announced the first
 * time only. Checking "reached" rather than "crossed by this call" heals a crash between the consume and the
 * record: the next consume records it. Thresholds this process saw recorded are skipped without a write.
 */
export class SoftThresholds<P extends TenancyPorts> {
  readonly #d: TenancyDeps<P>;
  // Highest threshold known recorded, by tenant|quota|period|limit (bounded; a cache only).
  readonly #recorded = new Map<string, number>();

  constructor(deps: TenancyDeps<P>) {
    this.#d = deps;
  }

  /** Records and announces the thresholds `used` has reached for the first time in this period and limit. */
  async check(
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
}
