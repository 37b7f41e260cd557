import type { Lease, QuotaEnforcement, QuotaKind } from '@ax/core';

/** Soft-limit thresholds, in percent of the limit. */
export const SOFT_THRESHOLDS: readonly number[] = Object.freeze([80, 100, 120]);

/**
 * How long an idempotency key is kept at least (24 h); periodic quotas keep it to the period's end when that
 * is later, so a retry just after a period ends replays instead of counting again in the next period.
 */
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

/** A lease this process holds: the stored lease plus the TTL it was taken (or last renewed) with. */
export type HeldLease = Lease & {
  /** What `renew` extends by when it is not given a `ttlMs`. */
  ttlMs: number;
};

/** What is left before `limit`; null when unlimited. */
export function remaining(limit: number, used: number): number | null {
  return limit < 0 ? null : Math.max(0, limit - used);
}
