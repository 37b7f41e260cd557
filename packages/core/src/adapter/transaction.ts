import { setTimeout as sleep } from 'node:timers/promises';
import { openCommitScope } from '../commit-hooks.js';
import { ConflictError, isAxError } from '../errors.js';
import type { TransactionOptions } from '../store/store.js';

/** How many times `transaction(fn)` re-runs `fn` after a retryable conflict when the caller does not say. */
export const DEFAULT_TRANSACTION_RETRIES = 5;

/**
 * A retryable conflict: what an adapter throws for a serialization failure, a deadlock or a busy lock, so that
 * `transaction` runs `fn` again (code CONFLICT, `details.retryable: true`).
 */
export function retryableConflict(message: string, cause?: unknown): ConflictError {
  return new ConflictError(message, { details: { retryable: true }, cause });
}

/** True for a ConflictError marked retryable (see {@link retryableConflict}). */
export function isRetryableConflict(err: unknown): err is ConflictError {
  return isAxError(err) && err.code === 'CONFLICT' && err.details.retryable === true;
}

/** One attempt of a transaction, as an adapter runs it. */
export interface TransactionDriver<TX extends object> {
  /**
   * Begins a transaction, calls `body` with its ports, commits when `body` resolves and rolls back when it
   * throws (rethrowing). A serialization failure, deadlock or busy lock (in `body` or at COMMIT) must surface as
   * {@link retryableConflict}. `tx` must be a fresh object per attempt (commit hooks are keyed by it).
   */
  attempt<T>(body: (tx: TX) => Promise<T>): Promise<T>;
}

/** Knobs of {@link runTransaction} beyond the caller's {@link TransactionOptions}. */
export interface TransactionRunnerOptions {
  /** First backoff ceiling in ms (default 5); doubles per retry up to `maxDelayMs`. */
  baseDelayMs?: number;
  /** Backoff ceiling in ms (default 250). */
  maxDelayMs?: number;
  /** Uniform [0, 1) source for the jitter (default Math.random). */
  random?: () => number;
  /** Where after-commit callback errors go (default: a process warning). */
  onCommitError?: (err: unknown) => void;
}

/**
 * The shared `Store.transaction(fn, { retries })` of every adapter: runs `fn` through `driver.attempt`, opening a
 * commit scope on each attempt's `tx` (so `onCommit` works), runs the after-commit callbacks once the attempt
 * committed and drops them when it rolled back. After a retryable ConflictError it waits a jittered exponential
 * backoff ("full jitter": uniform in [0, min(max, base·2^n)]) and re-runs `fn`, at most `retries` times, then
 * throws the last conflict. Any other error is thrown at once.
 */
export async function runTransaction<TX extends object, T>(
  driver: TransactionDriver<TX>,
  fn: (tx: TX) => Promise<T>,
  options: TransactionOptions = {},
  runner: TransactionRunnerOptions = {},
): Promise<T> {
  const retries = options.retries ?? DEFAULT_TRANSACTION_RETRIES;
  if (!Number.isInteger(retries) || retries < 0) {
    throw new RangeError(`transaction retries must be a non-negative integer, not ${retries}`);
  }
  const base = runner.baseDelayMs ?? 5;
  const max = runner.maxDelayMs ?? 250;
  const random = runner.random ?? Math.random;
  const onError =
    runner.onCommitError ??
    ((err: unknown) =>
      process.emitWarning(
        `after-commit callback failed: ${err instanceof Error ? err.message : String(err)}`,
      ));
  for (let attempt = 0; ; attempt++) {
    let scope: ReturnType<typeof openCommitScope> | undefined;
    try {
      const result = await driver.attempt((tx) => {
        scope = openCommitScope(tx);
        return fn(tx);
      });
      scope?.committed(onError);
      return result;
    } catch (err) {
      scope?.discard();
      if (!isRetryableConflict(err) || attempt >= retries) throw err;
    }
    await sleep(Math.floor(random() * Math.min(max, base * 2 ** attempt)));
  }
}
