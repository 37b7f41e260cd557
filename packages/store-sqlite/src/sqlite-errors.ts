import { ConflictError } from '@ax/core';

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
