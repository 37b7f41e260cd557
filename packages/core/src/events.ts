import { onCommit } from './commit-hooks.js';

/** A listener that runs inside the change's transaction: its rejection fails (rolls back) the change. */
export type InTransactionListener<T, TX> = (event: T, scope: { tx: TX }) => void | Promise<void>;

/** A listener that observes a change after it committed: its errors go to the bus's `onError`. */
export type AfterCommitListener<T> = (event: T) => void | Promise<void>;

/** Options of {@link EventBus}. */
export interface EventBusOptions<E> {
  /** Where after-commit listener errors go (default: `process.emitWarning`). */
  onError?: (err: unknown, name: keyof E, event: E[keyof E]) => void;
}

/**
 * The one typed event emitter of @ax. Two kinds of listener:
 *
 * - `inTransaction(name, (event, { tx }) => …)`: awaited in order inside the change's transaction, with its
 *   `tx` ports; the first rejection propagates and the change rolls back. Audit writes go here, so a change
 *   and its audit event commit together or not at all.
 * - `afterCommit(name, (event) => …)`: called once the change committed (never for a rolled-back or retried
 *   attempt); errors and rejections go to `onError`, never to the caller.
 *
 * Emitting with no listener allocates nothing: callers test {@link EventBus.has} before building an event.
 */
export class EventBus<E extends { [K in keyof E]: unknown }, TX = unknown> {
  readonly #inTx: { [K in keyof E]?: InTransactionListener<E[K], TX>[] } = {};
  readonly #after: { [K in keyof E]?: AfterCommitListener<E[K]>[] } = {};
  readonly #onError: (err: unknown, name: keyof E, event: E[keyof E]) => void;

  constructor(options: EventBusOptions<E> = {}) {
    this.#onError =
      options.onError ??
      ((err, name) =>
        process.emitWarning(
          `${String(name)} listener failed: ${err instanceof Error ? err.message : String(err)}`,
        ));
  }

  /** Adds a listener that runs in the change's transaction; returns a function that removes it. */
  inTransaction<K extends keyof E>(name: K, listener: InTransactionListener<E[K], TX>): () => void {
    this.#inTx[name] = [...(this.#inTx[name] ?? []), listener];
    return () => {
      const next = (this.#inTx[name] ?? []).filter((l) => l !== listener);
      if (next.length > 0) this.#inTx[name] = next;
      else delete this.#inTx[name];
    };
  }

  /** Adds a listener called after the change committed; returns a function that removes it. */
  afterCommit<K extends keyof E>(name: K, listener: AfterCommitListener<E[K]>): () => void {
    this.#after[name] = [...(this.#after[name] ?? []), listener];
    return () => {
      const next = (this.#after[name] ?? []).filter((l) => l !== listener);
      if (next.length > 0) this.#after[name] = next;
      else delete this.#after[name];
    };
  }

  /** True when `name` has a listener of either kind. */
  has(name: keyof E): boolean {
    return this.#inTx[name] !== undefined || this.#after[name] !== undefined;
  }

  /** True when `name` has an in-transaction listener: the emitter must then emit inside a transaction. */
  hasInTransaction(name: keyof E): boolean {
    return this.#inTx[name] !== undefined;
  }

  /**
   * Emits a change made in the transaction `tx`: awaits the in-transaction listeners (the first rejection
   * propagates), then defers the after-commit listeners until `tx` commits. With `tx` undefined the change has
   * already committed (a single atomic statement): in-transaction listeners are then a programming error, and
   * after-commit listeners run now.
   */
  async emit<K extends keyof E>(name: K, event: E[K], tx: TX | undefined): Promise<void> {
    const inTx = this.#inTx[name];
    if (inTx) {
      if (tx === undefined) {
        throw new Error(
          `event ${String(name)} has in-transaction listeners but was emitted outside a transaction`,
        );
      }
      for (const l of inTx) await l(event, { tx });
    }
    if (this.#after[name] === undefined) return;
    if (tx === undefined) this.notify(name, event);
    else onCommit(tx as object, () => this.notify(name, event));
  }

  /** Calls the after-commit listeners now, for something that already happened (a decision, a read). */
  notify<K extends keyof E>(name: K, event: E[K]): void {
    for (const l of this.#after[name] ?? []) {
      try {
        const r = l(event);
        if (r instanceof Promise) r.catch((err: unknown) => this.#onError(err, name, event));
      } catch (err) {
        this.#onError(err, name, event);
      }
    }
  }
}
