import { type CommitScope, hasCommitScope, onCommit, openCommitScope } from './commit-hooks.js';
import type { Transactional } from './store/store.js';

/**
 * Runs `fn` in a transaction of `store` in which after-commit callbacks ({@link onCommit}, the `afterCommit`
 * listeners of an EventBus) work, whether or not the adapter opens a commit scope itself: when it does not,
 * one is opened per attempt here and run once `transaction` resolved (discarded when it rejected).
 */
export async function transactWithCommitHooks<P extends object, T>(
  store: Transactional<P>,
  fn: (tx: P) => Promise<T>,
  onError: (err: unknown) => void = (err) =>
    process.emitWarning(`after-commit callback failed: ${err instanceof Error ? err.message : String(err)}`),
): Promise<T> {
  let scope: CommitScope | undefined;
  let result: T;
  try {
    result = await store.transaction(async (tx) => {
      scope?.discard(); // a retried attempt: the previous one rolled back
      scope = hasCommitScope(tx) ? undefined : openCommitScope(tx);
      return fn(tx);
    });
  } catch (err) {
    scope?.discard();
    throw err;
  }
  scope?.committed(onError);
  return result;
}

/**
 * Runs `cb` once the caller's transaction `tx` commits when it collects after-commit callbacks, else now
 * (the caller's adapter gives no commit hook: running late is then impossible, running early is the best
 * approximation for idempotent callbacks such as cache invalidation).
 */
export function afterCommitOrNow(tx: object, cb: () => void): void {
  if (hasCommitScope(tx)) onCommit(tx, cb);
  else cb();
}
