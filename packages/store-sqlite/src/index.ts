export {
  type Migration,
  type MigrationResult,
  migrationChecksum,
} from './migrate.js';
export { MIGRATIONS } from './migrations/index.js';
export { RATE_LIMIT_TABLE, type SqliteRateLimitStoreOptions, sqliteRateLimitStore } from './rate-limits.js';
export {
  migrateSqlite,
  openSqliteStore,
  SqliteStore,
  type SqliteStoreOptions,
} from './store.js';
