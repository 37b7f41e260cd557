export {
  type Migration,
  type MigrationResult,
  migrationChecksum,
} from './migrate.js';
export { MIGRATIONS } from './migrations/index.js';
export {
  migrateSqlite,
  openSqliteStore,
  SqliteStore,
  type SqliteStoreOptions,
} from './store.js';
