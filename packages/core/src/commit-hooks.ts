/**
 * After-commit callbacks keyed by a transaction's `tx` object. An adapter's `transaction(fn)` opens a scope
 * for each attempt ({@link openCommitScope}), runs the callbacks once the attempt commits and drops them when it
 * rolls back (so a retried attempt's callbacks never run). Domain code registers with {@link onCommit}.
 */
const SCOPES = new WeakMap<object, Array<() => void>>();

/** What {@link openCommitScope} returns: call `committed()` after COMMIT, `discard()` after a rollback. */
export interface CommitScope {
  committed(onError: (err: unknown) => void): void;
  discard(): void;
}

/** For adapters: makes `tx` a transaction that collects after-commit callbacks. */
export function openCommitScope(tx: object): CommitScope {
  const callbacks: Array<() => void> = [];
  SCOPES.set(tx, callbacks);
  return {
    committed(onError) {
      SCOPES.delete(tx);
      for (const cb of callbacks.splice(0)) {
        try {
          cb();
        } catch (err) {
          onError(err);
        }
      }
    },
    discard() {
      SCOPES.delete(tx);
      callbacks.length = 0;
    },
  };
}

/**
 * Runs `cb` once the transaction `tx` commits; never when it rolls back. Throws when `tx` is not an open
 * transaction of an adapter that supports after-commit callbacks (a programming error, not a runtime state).
 */
export function onCommit(tx: object, cb: () => void): void {
  const callbacks = SCOPES.get(tx);
  if (!callbacks) {
    throw new Error(
      'onCommit: not an open transaction (use the `tx` ports passed to store.transaction, from an adapter that opens a commit scope)',
    );
  }
  callbacks.push(cb);
}
