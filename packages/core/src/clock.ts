/** Source of time. Domain logic never calls `Date.now()` directly, so tests can move time. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** The real clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to; for tests and simulations. */
export class ManualClock implements Clock {
  #now: number;

  constructor(start: number | Date = Date.UTC(2026, 0, 1)) {
    this.#now = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.#now;
  }

  /** Moves time forward by `ms` (must be >= 0). */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError('ManualClock only moves forward');
    this.#now += ms;
  }

  /** Jumps to an absolute time, which must not be in the clock's past. */
  set(to: number | Date): void {
    const t = typeof to === 'number' ? to : to.getTime();
    if (t < this.#now) throw new RangeError('ManualClock only moves forward');
    this.#now = t;
  }
}
