export {
  DEFAULT_TRANSACTION_RETRIES,
  isRetryableConflict,
  retryableConflict,
  runTransaction,
  type TransactionDriver,
  type TransactionRunnerOptions,
} from './transaction.js';
