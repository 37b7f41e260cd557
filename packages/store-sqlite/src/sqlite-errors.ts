import { ConflictError } from '@ax/core';
import { retryableConflict } from '@ax/core/adapter';

interface SqliteErrorLike {
  code?: unknown;
  message?: unknown;
}

/** Maps driver errors to @ax errors where a caller can act on them (unique violations become CONFLICT). */
export function mapSqliteError(err: unknown, what: string): unknown {
  const code = (err as SqliteErrorLike | null)?.code;
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return new ConflictError(`${what} already exists`, { cause: err });
  }
  return err;
}

/**
 * A lock another connection still held after `busy_timeout` (SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT, SQLITE_LOCKED)
 * becomes a retryable ConflictError, so `transaction` re-runs its function; anything else is returned as is.
 */
export function mapBusy(err: unknown): unknown {
  const code = (err as SqliteErrorLike | null)?.code;
  if (typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))) {
    return retryableConflict(`database is locked (${code})`, err);
  }
  return err;
}
