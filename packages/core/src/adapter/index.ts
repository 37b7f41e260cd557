export {
  DEFAULT_TRANSACTION_RETRIES,
  isRetryableConflict,
  retryableConflict,
  runTransaction,
  type TransactionDriver,
  type TransactionRunnerOptions,
} from './transaction.js';
export {
  type AppliedMigration,
  checkMigrations,
  type Migration,
  type MigrationDialect,
  type MigrationResult,
  migrate,
  migrationChecksum,
  pendingMigrations,
} from './migrations.js';
