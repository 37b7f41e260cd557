import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The audit writes one command run or HTTP request started outside an awaited path (observations such as
 * denied decisions, which are notified after the fact): tracked, then awaited by {@link AuditSink.flush} at
 * the end of the request, before its store closes. Create one per request ({@link createAuditSink}) and run
 * the request in it ({@link runWithAuditSink}), so concurrent requests never share one.
 */
export interface AuditSink {
  /** Tracks a write; its failure is reported by {@link flush}, never as an unhandled rejection. */
  track(write: Promise<unknown>): void;
  /** Waits for every tracked write (including those tracked meanwhile); rejects with the first failure. */
  flush(): Promise<void>;
  /** Writes tracked and not yet settled. */
  readonly pending: number;
}

/** A new, empty sink: one per command run or request. */
export function createAuditSink(): AuditSink {
  const pending = new Set<Promise<unknown>>();
  const failures: unknown[] = [];
  return {
    track(write) {
      const tracked: Promise<unknown> = write.then(
        () => pending.delete(tracked),
        (err: unknown) => {
          pending.delete(tracked);
          failures.push(err);
        },
      );
      pending.add(tracked);
    },
    async flush() {
      while (pending.size > 0) await Promise.all([...pending]);
      if (failures.length > 0) throw failures.splice(0)[0];
    },
    get pending() {
      return pending.size;
    },
  };
}

const SINKS = new AsyncLocalStorage<AuditSink>();

/** Runs `fn` with `sink` as the current sink: audit listeners called within it (however deep) track there. */
export function runWithAuditSink<T>(sink: AuditSink, fn: () => T): T {
  return SINKS.run(sink, fn);
}

/** The sink of the request running now, if any. */
export function currentAuditSink(): AuditSink | undefined {
  return SINKS.getStore();
}
