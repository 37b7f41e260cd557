import type { Database, Statement } from 'better-sqlite3';

/**
 * Builds (and caches) `UPDATE table SET col = ? … WHERE id = ? RETURNING *` for the set of patch keys given.
 * Column names come only from `columns`, never from the caller, so keys cannot inject SQL.
 */
export class PatchStatements {
  readonly #cache = new Map<string, Statement>();

  constructor(
    private readonly db: Database,
    private readonly table: string,
    private readonly columns: Readonly<Record<string, string>>,
  ) {}

  run(id: string, patch: Record<string, unknown>): unknown {
    const keys = Object.keys(patch).filter((k) => patch[k] !== undefined);
    for (const k of keys) {
      if (!Object.hasOwn(this.columns, k)) throw new TypeError(`cannot patch ${this.table}.${k}`);
    }
    const cacheKey = keys.join(',');
    let stmt = this.#cache.get(cacheKey);
    if (!stmt) {
      const sets = keys.map((k) => `${this.columns[k]} = ?`).join(', ');
      stmt = this.db.prepare(`UPDATE ${this.table} SET ${sets} WHERE id = ? RETURNING *`);
      this.#cache.set(cacheKey, stmt);
    }
    return stmt.get(...keys.map((k) => patch[k]), id);
  }
}
