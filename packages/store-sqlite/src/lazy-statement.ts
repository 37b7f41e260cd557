import type { Database, Statement } from 'better-sqlite3';

/**
 * A statement prepared on first use rather than when the store opens, so a store opened with a subset of
 * migrations (adapter tests) does not fail on tables it never touches. Later calls reuse the statement.
 */
export function lazyStatement(db: Database, sql: string, opts: { pluck?: boolean } = {}): () => Statement {
  let stmt: Statement | undefined;
  return () => {
    stmt ??= opts.pluck ? db.prepare(sql).pluck() : db.prepare(sql);
    return stmt;
  };
}
