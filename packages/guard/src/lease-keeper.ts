import { ConflictError, type ExecutionContext } from '@ax/core';
import type { GuardLease, GuardQuotas } from './ports.js';

// One shared reason: an error per run would capture a stack trace on every run's hot path.
const RUN_ENDED = Object.freeze(new ConflictError('the guarded run has ended: its lease is released'));

/**
 * Renews a lease every `ttlMs / 3` while the guarded work runs (one renewal at a time: the next is
 * scheduled when the last settles). When a renewal fails the slot may already be someone else's, so
 * `signal` aborts with a ConflictError and renewals stop.
 */
export class LeaseKeeper {
  readonly #controller = new AbortController();
  readonly #quotas: GuardQuotas<never>;
  readonly #ctx: ExecutionContext;
  readonly #everyMs: number;
  #lease: GuardLease | null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #renewing: Promise<void> | undefined;
  #stopped = false;

  constructor(quotas: GuardQuotas<never>, ctx: ExecutionContext, lease: GuardLease | null) {
    this.#quotas = quotas;
    this.#ctx = ctx;
    this.#lease = lease;
    this.#everyMs = lease ? Math.max(1, Math.floor(lease.ttlMs / 3)) : 0;
    this.#schedule();
  }

  /**
   * Aborts when a renewal failed (the lease may be lost) or the run ended (an HTTP client went away while the
   * handler still runs): either way the work no longer holds its slot and should stop.
   */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** The lease as last renewed. */
  get lease(): GuardLease | null {
    return this.#lease;
  }

  /**
   * Stops renewing, waits for a renewal in flight (so the lease is not renewed after its release), and aborts
   * the signal for work still listening.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#renewing;
    if (!this.#controller.signal.aborted) this.#controller.abort(RUN_ENDED);
  }

  #schedule(): void {
    if (!this.#lease || this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#renewing = this.#renew();
    }, this.#everyMs);
    // A guarded run in progress must not keep a process alive on its own.
    this.#timer.unref?.();
  }

  async #renew(): Promise<void> {
    const lease = this.#lease;
    if (!lease || this.#stopped) return;
    try {
      this.#lease = await this.#quotas.renew(this.#ctx, { lease });
      this.#schedule();
    } catch (cause) {
      this.#controller.abort(
        new ConflictError(`the concurrency lease ${lease.id} was lost: the work should stop`, {
          cause,
          details: { lease: lease.id, quota: lease.quota },
        }),
      );
    }
  }
}
