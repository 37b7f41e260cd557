import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Runs async jobs one at a time on one connection. A transaction holds the queue across its awaits,
 * so statements of two transactions never interleave on the shared better-sqlite3 handle.
 */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();
  #pending = 0;
  readonly #owner = new AsyncLocalStorage<SerialQueue>();

  /** True when no job is running or waiting: callers may then run synchronously, skipping the queue. */
  get idle(): boolean {
    return this.#pending === 0;
  }

  /** True when called from inside a job of this queue (used to catch a would-be deadlock). */
  get insideJob(): boolean {
    return this.#owner.getStore() === this;
  }

  run<T>(job: () => Promise<T>): Promise<T> {
    this.#pending++;
    const result = this.#tail.then(() => this.#owner.run(this, job));
    const settled = result.then(
      () => this.#release(),
      () => this.#release(),
    );
    this.#tail = settled;
    return result;
  }

  #release(): void {
    this.#pending--;
  }
}
