/**
 * Storage port for quotas: per-tenant limits and usage, billing periods, idempotency keys, concurrency
 * leases and soft-limit threshold records. The domain (@ax/tenancy) decides limits, periods, thresholds, what
 * "soft" and "unlimited" mean (as a plain `ceiling`) and how long idempotency keys live (as `expiresAt`); an
 * adapter stores them and makes each operation atomic, comparing with the numbers it is given and deciding
 * nothing. Times are epoch milliseconds.
 */

/** How a quota is counted. */
export type QuotaKind = 'counter' | 'periodic' | 'concurrency';

/** Hard limits deny past the limit; soft limits allow and report thresholds. */
export type QuotaEnforcement = 'hard' | 'soft';

/** One tenant's setting and usage of one quota, as stored. */
export interface QuotaState {
  tenantId: string;
  quota: string;
  kind: QuotaKind;
  enforcement: QuotaEnforcement;
  /** Effective limit (the override when set, else the plan's), as reported; below zero: unlimited. */
  limit: number;
  /** A per-tenant override of the plan's limit, or null. */
  overrideLimit: number | null;
  /**
   * The bound consume and acquire enforce, as the domain computed it: `used + amount <= ceiling` (leases:
   * active < ceiling); null means no bound (an unlimited or soft quota).
   */
  ceiling: number | null;
  /** Usage in the current period (periodic) or overall (counter). Leases are counted separately. */
  used: number;
  /** Current period bounds `[periodStart, periodEnd)` for periodic quotas; null otherwise. */
  periodStart: number | null;
  periodEnd: number | null;
  updatedAt: number;
}

/** What {@link QuotaStore.upsertLimits} writes for one quota. Usage is never touched. */
export interface QuotaSetting {
  quota: string;
  kind: QuotaKind;
  enforcement: QuotaEnforcement;
  limit: number;
  overrideLimit: number | null;
  /** The enforced bound, null for none (see {@link QuotaState.ceiling}). */
  ceiling: number | null;
  /** Period to start with when the row is new (periodic quotas); an existing row keeps its period. */
  periodStart: number | null;
  periodEnd: number | null;
}

/** A conditional consume. */
export interface ConsumeRequest {
  tenantId: string;
  quota: string;
  /** Positive integer. */
  amount: number;
  now: number;
  /**
   * When set, the result is recorded under `key` in the same transaction as the update, kept until `expiresAt`
   * (computed by the domain), and a later call with the same key before then returns that first result instead
   * of consuming again (unless it was refunded).
   */
  idempotency?: { key: string; expiresAt: number };
}

/** What a consume did. `periodEnded` means the row's period is over: roll it over, then try again. */
export type ConsumeOutcome =
  | {
      status: 'consumed';
      used: number;
      limit: number;
      enforcement: QuotaEnforcement;
      periodStart: number | null;
      periodEnd: number | null;
      /** True when an idempotency key matched a previous consume and nothing was written now. */
      replayed: boolean;
    }
  | { status: 'exceeded'; used: number; limit: number }
  | { status: 'periodEnded'; periodStart: number; periodEnd: number }
  | { status: 'missing' }
  | { status: 'keyConflict'; amount: number };

/** What a release did. */
export type ReleaseOutcome =
  | { status: 'released'; state: QuotaState }
  | { status: 'periodEnded'; periodStart: number; periodEnd: number }
  | { status: 'missing' };

/**
 * What a refund did: `refunded` gave back exactly the amount the key consumed (never below zero);
 * `unknown` means no live record of that key; `alreadyRefunded` that an earlier refund gave it back;
 * `periodClosed` that the period it was consumed in is over (its usage is history and stays).
 */
export type RefundOutcome =
  | { status: 'refunded'; amount: number; state: QuotaState }
  | { status: 'unknown' }
  | { status: 'alreadyRefunded'; amount: number }
  | { status: 'periodClosed'; amount: number };

/** A past period's usage, kept for reports. */
export interface QuotaPeriodRecord {
  tenantId: string;
  quota: string;
  periodStart: number;
  periodEnd: number;
  used: number;
  limit: number;
  closedAt: number;
}

/** A held concurrency slot. */
export interface Lease {
  id: string;
  tenantId: string;
  quota: string;
  holder: string | null;
  acquiredAt: number;
  expiresAt: number;
}

/** What an acquire did. Expired leases of the quota are reclaimed first, in the same transaction. */
export type AcquireOutcome =
  | { status: 'acquired'; lease: Lease; reclaimed: number }
  | { status: 'exceeded'; active: number; limit: number; reclaimed: number }
  | { status: 'missing' };

/** A periodic quota whose period has ended. */
export interface DuePeriod {
  tenantId: string;
  quota: string;
  periodStart: number;
  periodEnd: number;
}

/** Storage port for quotas. */
export interface QuotaStore {
  /** Creates or updates a tenant's quota settings; usage and the current period of existing rows are kept. */
  upsertLimits(tenantId: string, settings: readonly QuotaSetting[], now: number): Promise<void>;
  get(tenantId: string, quota: string): Promise<QuotaState | null>;
  /** Every quota of a tenant, ordered by name. */
  list(tenantId: string): Promise<QuotaState[]>;
  /**
   * One atomic conditional update: adds `amount` only if the period is current and the row's `ceiling` is null
   * or `used + amount <= ceiling`. Writes nothing otherwise.
   */
  consume(req: ConsumeRequest): Promise<ConsumeOutcome>;
  /**
   * Subtracts `amount`, never below zero, in the current period; `periodEnded` when the period is over
   * (roll it over first).
   */
  release(tenantId: string, quota: string, amount: number, now: number): Promise<ReleaseOutcome>;
  /**
   * Gives back what the idempotency `key` consumed, at most once: marks its record refunded and subtracts its
   * amount (never below zero) in one atomic step, only while the quota's current period is the one the key
   * consumed in. A consume retried with a refunded key counts again (and may be refunded again).
   */
  refund(tenantId: string, quota: string, key: string, now: number): Promise<RefundOutcome>;
  /**
   * Closes the period starting at `from` if it is still current and ended by `now`: keeps its usage in the
   * history, resets usage and starts `[next.start, next.end)`. False when another caller already did.
   */
  rollover(
    tenantId: string,
    quota: string,
    from: number,
    next: { start: number; end: number },
    now: number,
  ): Promise<boolean>;
  /** Periodic quotas whose period ended by `now`, oldest first. */
  duePeriods(now: number, limit: number): Promise<DuePeriod[]>;
  /** Closed periods, newest first. */
  history(tenantId: string, quota?: string): Promise<QuotaPeriodRecord[]>;
  /**
   * Records that `threshold` (a percentage) was reached in the period starting at `periodStart` (0 for
   * quotas without periods). True only for the first caller.
   */
  recordThreshold(
    tenantId: string,
    quota: string,
    periodStart: number,
    threshold: number,
    now: number,
  ): Promise<boolean>;
  /** Forgets recorded thresholds of a quota (used when its limit changes). */
  clearThresholds(tenantId: string, quota: string): Promise<void>;
  /**
   * Reclaims the quota's expired leases, then inserts `lease` only if the row's `ceiling` is null or the active
   * leases are fewer than it: one conditional statement, in one transaction with the reclaim.
   */
  acquireLease(lease: Lease, now: number): Promise<AcquireOutcome>;
  /** Moves an unexpired lease's expiry; null when the lease is gone or expired. */
  renewLease(tenantId: string, leaseId: string, expiresAt: number, now: number): Promise<Lease | null>;
  /** Deletes a lease; false when it was already gone. */
  releaseLease(tenantId: string, leaseId: string): Promise<boolean>;
  /** Unexpired leases of a tenant, oldest first. */
  activeLeases(tenantId: string, now: number): Promise<Lease[]>;
  /** Deletes expired leases and expired idempotency records everywhere. */
  purgeExpired(now: number): Promise<{ leases: number; idempotencyKeys: number }>;
}
