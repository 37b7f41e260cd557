import { createRequire } from 'node:module';
import type { RateLimitStore } from '@ax/core';
import type { Database } from 'better-sqlite3';
import type { RateLimiterSQLite } from 'rate-limiter-flexible';
import type { SqliteStore } from './store.js';

/** The table migration 4 creates in rate-limiter-flexible's schema (`key`, `points`, `expire`). */
export const RATE_LIMIT_TABLE = 'ax_rate_limits';

/** Options for rate-limiter-flexible's `RateLimiterSQLite` on a store's connection. */
export interface SqliteRateLimitStoreOptions {
  storeClient: Database;
  storeType: 'better-sqlite3';
  tableName: string;
  /** The table comes from migration 4: the limiter never runs DDL. */
  tableCreated: true;
}

/**
 * What rate-limiter-flexible's `RateLimiterSQLite` needs to keep its counters in this store's database:
 * `new RateLimiterSQLite({ ...sqliteRateLimitStore(store), points, duration, keyPrefix })`.
 *
 * It shares the store's connection on purpose: a second connection to the same file would wait on the
 * store's own open transactions with a synchronous busy loop that blocks the event loop those transactions
 * need to finish. A limiter built this way bypasses the store's queue, so an increment made while a
 * `store.transaction` is open becomes part of it (and rolls back with it): prefer `store.rateLimits`, whose
 * limiters wait for the open transaction instead.
 */
export function sqliteRateLimitStore(store: Pick<SqliteStore, 'db'>): SqliteRateLimitStoreOptions {
  return {
    storeClient: store.db,
    storeType: 'better-sqlite3',
    tableName: RATE_LIMIT_TABLE,
    tableCreated: true,
  };
}

// Loaded on first use: commands that never rate-limit do not pay for rate-limiter-flexible at start-up.
let limiterClass: typeof RateLimiterSQLite | undefined;

/** How the store runs a limiter call: outside any transaction on its connection (see `SqliteStore`). */
export type RunOutsideTransaction = <T>(call: () => Promise<T>) => Promise<T>;

/**
 * The store's rate-limit port: rate-limiter-flexible's `RateLimiterSQLite` on the store's connection and its
 * `ax_rate_limits` table (see {@link sqliteRateLimitStore}). Every call goes through `outside`, so a charge is
 * never part of a transaction open on the shared connection and never rolls back with one.
 */
export function sqliteRateLimits(db: Database, outside: RunOutsideTransaction): RateLimitStore {
  return {
    limiter(options) {
      limiterClass ??= (
        createRequire(import.meta.url)('rate-limiter-flexible') as {
          RateLimiterSQLite: typeof RateLimiterSQLite;
        }
      ).RateLimiterSQLite;
      const limiter = new limiterClass({ ...sqliteRateLimitStore({ db }), ...options });
      return {
        consume: (key, points) => outside(() => limiter.consume(key, points)),
        reward: (key, points) => outside(() => limiter.reward(key, points)),
        get: (key) => outside(() => limiter.get(key)),
        delete: (key) => outside(() => limiter.delete(key)),
      };
    },
  };
}
