import type { QuotaEnforcement } from '@ax/core';
import type { TenancyPorts } from './ports.js';

/** What the quota service remembers of a quota row. */
export interface QuotaHint {
  enforcement: QuotaEnforcement;
  /** End of the row's current period (null: no period). */
  periodEnd: number | null;
}

/**
 * Enforcement and current period end by tenant and quota, as this process last saw them (bounded): they pick
 * the consume path (soft quotas run in a transaction) and size idempotency keys. A period end is trusted only
 * while it is in the future, since no rollover can happen before it; past it, the row is read again.
 */
export class QuotaHints {
  readonly #hints = new Map<string, QuotaHint>();

  /** The hint for a quota, reading its row through `ports` when unknown or stale; undefined when there is none. */
  async of(
    ports: TenancyPorts,
    tenantId: string,
    quota: string,
    now: number,
  ): Promise<QuotaHint | undefined> {
    const known = this.#hints.get(`${tenantId}|${quota}`);
    if (known && (known.periodEnd === null || known.periodEnd > now)) return known;
    const row = await ports.quotas.get(tenantId, quota);
    if (!row) return undefined;
    const hint = { enforcement: row.enforcement, periodEnd: row.periodEnd };
    this.remember(tenantId, quota, hint);
    return hint;
  }

  /** Keeps what an outcome showed. */
  remember(tenantId: string, quota: string, hint: QuotaHint): void {
    const key = `${tenantId}|${quota}`;
    const known = this.#hints.get(key);
    if (known?.enforcement === hint.enforcement && known.periodEnd === hint.periodEnd) return;
    if (this.#hints.size >= 10_000) this.#hints.clear();
    this.#hints.set(key, hint);
  }
}
