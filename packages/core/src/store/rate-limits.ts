/**
 * Storage port for rate limits: fixed-window counters in the adapter's storage, as
 * [rate-limiter-flexible](https://github.com/animir/node-rate-limiter-flexible) limiters. Typed structurally
 * here (a subset of its `RateLimiterAbstract` and `RateLimiterRes`), so @ax/core does not depend on it: an
 * adapter returns `RateLimiterSQLite`, `RateLimiterPostgres`, `RateLimiterRedis`… (or a test double).
 */

/** A limiter's answer (rate-limiter-flexible's `RateLimiterRes`). */
export interface RateLimiterResult {
  /** Points left in the current window. */
  remainingPoints: number;
  /** Milliseconds until the window resets. */
  msBeforeNext: number;
  /** Points consumed in the current window. */
  consumedPoints: number;
}

/**
 * One limiter: `points` per `duration` seconds per key. `consume` rejects with a {@link RateLimiterResult}
 * (not an Error) when the window is spent, and with an Error when the storage fails.
 */
export interface RateLimiter {
  consume(key: string, points?: number): Promise<RateLimiterResult>;
  /** Gives points back (after a refusal elsewhere). */
  reward(key: string, points?: number): Promise<RateLimiterResult>;
  /** The window as it stands, or null when the key has none. */
  get(key: string): Promise<RateLimiterResult | null>;
  /** Forgets a key's window. */
  delete(key: string): Promise<boolean>;
}

/** What a limiter counts: `points` per `duration` seconds, keys stored under `keyPrefix`. */
export interface RateLimiterOptions {
  keyPrefix: string;
  points: number;
  /** Window length in seconds. */
  duration: number;
}

/** Storage port for rate limits: limiters whose counters live in the store (shared by every process using it). */
export interface RateLimitStore {
  limiter(options: RateLimiterOptions): RateLimiter;
}
