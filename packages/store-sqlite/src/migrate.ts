import { createHash } from 'node:crypto';
import { IntegrityError } from '@ax/core';
import type { Database } from 'better-sqlite3';

/** One forward-only schema step. `id` orders them; `sql` is checksummed once applied. */
export interface Migration {
  id: number;
  name: string;
  sql: string;
}

/** What `migrate` did. */
export interface MigrationResult {
  /** Migrations applied by this call, in order. */
  applied: { id: number; name: string }[];
  /** Highest migration id now in the database. */
  version: number;
}

interface AppliedRow {
  id: number;
  name: string;
  checksum: string;
}

/** SHA-256 of the migration text, as recorded in `ax_migrations`. */
export function migrationChecksum(m: Migration): string {
  return createHash('sha256').update(m.sql).digest('hex');
}

function appliedMigrations(db: Database): AppliedRow[] {
  const table = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'ax_migrations'")
    .get();
  if (!table) return [];
  return db.prepare('SELECT id, name, checksum FROM ax_migrations ORDER BY id').all() as AppliedRow[];
}

/**
 * Checks what the database has applied against what the code ships, without writing anything.
 * Throws IntegrityError when an applied migration was edited or is unknown, or the database is newer.
 * Returns the migrations still to apply.
 */
export function pendingMigrations(db: Database, migrations: readonly Migration[]): Migration[] {
  const byId = new Map(migrations.map((m) => [m.id, m]));
  const latestKnown = migrations.reduce((max, m) => Math.max(max, m.id), 0);
  const applied = appliedMigrations(db);
  for (const row of applied) {
    const known = byId.get(row.id);
    if (!known) {
      if (row.id > latestKnown) {
        throw new IntegrityError(
          `database schema is newer than this code: it has migration ${row.id} (${row.name}), this code knows up to ${latestKnown}; upgrade @ax/store-sqlite`,
          {
            details: {
              databaseVersion: applied.at(-1)?.id,
              codeVersion: latestKnown,
            },
          },
        );
      }
      throw new IntegrityError(
        `database has migration ${row.id} (${row.name}) that this code does not ship`,
        {
          details: { migration: row.id },
        },
      );
    }
    const checksum = migrationChecksum(known);
    if (checksum !== row.checksum) {
      throw new IntegrityError(
        `migration ${row.id} (${row.name}) was edited after it was applied: checksum ${checksum.slice(0, 12)}… does not match the recorded ${row.checksum.slice(0, 12)}…`,
        {
          details: {
            migration: row.id,
            expected: row.checksum,
            actual: checksum,
          },
        },
      );
    }
  }
  const done = new Set(applied.map((r) => r.id));
  return [...migrations].sort((a, b) => a.id - b.id).filter((m) => !done.has(m.id));
}

/**
 * Verifies, then applies pending migrations in one IMMEDIATE transaction (so two processes migrating the
 * same file do not race). On any failure the transaction rolls back: nothing is written.
 */
export function migrate(db: Database, migrations: readonly Migration[], now: () => number): MigrationResult {
  pendingMigrations(db, migrations); // fail fast, before taking the write lock
  const run = db.transaction((): MigrationResult => {
    const pending = pendingMigrations(db, migrations); // again under the lock: another process may have migrated
    db.exec(`CREATE TABLE IF NOT EXISTS ax_migrations (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      checksum TEXT NOT NULL,
      applied_at INTEGER NOT NULL
    ) STRICT`);
    const record = db.prepare(
      'INSERT INTO ax_migrations (id, name, checksum, applied_at) VALUES (?, ?, ?, ?)',
    );
    for (const m of pending) {
      db.exec(m.sql);
      record.run(m.id, m.name, migrationChecksum(m), now());
    }
    const version =
      (
        db.prepare('SELECT max(id) AS v FROM ax_migrations').get() as {
          v: number | null;
        }
      ).v ?? 0;
    return { applied: pending.map(({ id, name }) => ({ id, name })), version };
  });
  return run.immediate();
}
