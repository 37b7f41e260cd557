import type { AppliedMigration, MigrationDialect } from '@ax/core/adapter';
import type { Database, Statement } from 'better-sqlite3';
import { mapBusy } from './sqlite-errors.js';

export { type Migration, type MigrationResult, migrationChecksum } from '@ax/core/adapter';

/**
 * SQLite's dialect steps for the migration kit of `@ax/core/adapter`. The lock is a `BEGIN IMMEDIATE`
 * transaction (SQLite's write lock, waited for up to `busy_timeout`), and every pending migration runs inside it,
 * so a batch is applied whole or not at all; the kit re-reads the table under the lock, so processes that waited
 * find the work done and write nothing.
 */
export function sqliteMigrationDialect(db: Database): MigrationDialect {
  return {
    async readApplied() {
      // One statement: a database without the table (a new one) is the only "no such table" here.
      let read: Statement;
      try {
        read = db.prepare('SELECT id, name, checksum FROM ax_migrations ORDER BY id');
      } catch (err) {
        if (err instanceof Error && /no such table: ax_migrations/.test(err.message)) return [];
        throw err;
      }
      return read.all() as AppliedMigration[];
    },
    async acquireLock() {
      try {
        db.exec('BEGIN IMMEDIATE');
      } catch (err) {
        throw mapBusy(err);
      }
    },
    async releaseLock(ok) {
      if (db.inTransaction) db.exec(ok ? 'COMMIT' : 'ROLLBACK');
    },
    async ensureTable() {
      db.exec(`CREATE TABLE IF NOT EXISTS ax_migrations (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        checksum TEXT NOT NULL,
        applied_at INTEGER NOT NULL
      ) STRICT`);
    },
    async apply(migration, record) {
      db.exec(migration.sql);
      db.prepare('INSERT INTO ax_migrations (id, name, checksum, applied_at) VALUES (?, ?, ?, ?)').run(
        record.id,
        record.name,
        record.checksum,
        record.appliedAt,
      );
    },
  };
}
