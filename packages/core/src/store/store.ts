import type { AuditStore } from './audit.js';
import type { KeyringStore } from './keyring.js';
import type { SecretStore } from './secrets.js';
import type { QuotaStore } from './quota.js';
import type { RateLimitStore } from './rate-limits.js';
import type { RbacStore } from './rbac.js';
import type { TenantStore } from './tenants.js';
import type { UserStore } from './users.js';

/**
 * Every storage port, by name. Later packages add their port here (one file per domain in this folder),
 * and every adapter implements all of them.
 */
export interface StorePorts {
  tenants: TenantStore;
  users: UserStore;
  audit: AuditStore;
  keyring: KeyringStore;
  secrets: SecretStore;
  quotas: QuotaStore;
  rbac: RbacStore;
}

/** Options of `transaction(fn, options)`. */
export interface TransactionOptions {
  /**
   * How many times `fn` may be re-run after a retryable ConflictError (a serialization failure, a deadlock, a
   * busy lock); default 5 (`DEFAULT_TRANSACTION_RETRIES` in `@ax/core/adapter`). 0 never re-runs.
   */
  retries?: number;
}

/**
 * A set of ports plus `transaction(fn, { retries }?)`: what `fn` does through the `tx` ports it receives commits
 * together, or not at all when `fn` throws. Domain services ask for `Transactional<Pick<StorePorts, …>>`, only
 * the ports they use, so any adapter (or a test double) that has those ports fits.
 *
 * **Isolation.** Transactions are serializable: the outcome is that of some serial order (an adapter may get
 * there by running writers one at a time, as SQLite does, or by detecting conflicts, as PostgreSQL's
 * SERIALIZABLE does). A transaction never sees another's uncommitted writes.
 *
 * **Conflicts and retries.** A serialization failure or deadlock surfaces as a `ConflictError` (code CONFLICT)
 * with `details.retryable: true`. `transaction` rolls back and re-runs `fn` with jittered exponential backoff,
 * up to `retries` times, then throws that error. So `fn` must do its work only through `tx` and have no side
 * effects outside it; work that must happen once after the commit goes in `onCommit(tx, cb)` (from @ax/core),
 * which runs only after a successful commit, never for a rolled-back or retried attempt.
 */
export type Transactional<P> = P & {
  transaction<T>(fn: (tx: P) => Promise<T>, options?: TransactionOptions): Promise<T>;
};

/** The aggregate store an adapter returns. */
export interface Store extends Transactional<StorePorts> {
  /** Adapter name, e.g. "sqlite". */
  readonly kind: string;
  /**
   * Rate-limit counters in this store. Not a transaction port: a limiter's charge is its own atomic step and
   * never rolls back with a transaction (a refused request stays counted, as rate limiting wants).
   */
  readonly rateLimits: RateLimitStore;
  /** Resolves when storage is reachable and intact; rejects with an AxError otherwise. Used by /readyz. */
  ping(): Promise<void>;
  /** Closes connections. Pending transactions finish first. */
  close(): Promise<void>;
}
