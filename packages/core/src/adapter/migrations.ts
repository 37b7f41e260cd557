import { createHash } from 'node:crypto';
import { IntegrityError } from '../errors.js';

/** One forward-only schema step. `id` orders them; `sql` (the dialect's DDL) is checksummed once applied. */
export interface Migration {
  id: number;
  name: string;
  sql: string;
}

/** A row of the migrations table. */
export interface AppliedMigration {
  id: number;
  name: string;
  /** {@link migrationChecksum} of the migration as it was applied. */
  checksum: string;
}

/** What {@link migrate} did. */
export interface MigrationResult {
  /** Migrations applied by this call, in order (empty when there was nothing to do). */
  applied: { id: number; name: string }[];
  /** Highest migration id now in the database. */
  version: number;
}

/**
 * The dialect steps an adapter supplies; everything else (ordering, checksums, refusing edited, unknown and newer
 * migrations, re-checking under the lock, writing nothing when nothing is pending) is the kit's.
 */
export interface MigrationDialect {
  /** Reads the migrations table, ordered by id; empty when it does not exist yet. Must write nothing. */
  readApplied(): Promise<AppliedMigration[]>;
  /**
   * Takes the lock that lets one process at a time migrate, waiting for it (SQLite: `BEGIN IMMEDIATE`;
   * PostgreSQL: an advisory lock). Only called when something is pending.
   */
  acquireLock(): Promise<void>;
  /** Releases the lock; `ok` is false when the batch failed (a dialect whose lock is its transaction rolls back). */
  releaseLock(ok: boolean): Promise<void>;
  /** Creates the migrations table if it does not exist (under the lock). */
  ensureTable(): Promise<void>;
  /** Runs the migration's DDL and records `record`, atomically: both or neither (under the lock). */
  apply(migration: Migration, record: AppliedMigration & { appliedAt: number }): Promise<void>;
}

/** SHA-256 (hex) of the migration text, as recorded in the migrations table. */
export function migrationChecksum(m: Pick<Migration, 'sql'>): string {
  return createHash('sha256').update(m.sql).digest('hex');
}

/**
 * Checks what the database has applied against what the code ships, writing nothing. Throws IntegrityError when
 * an applied migration was edited or is unknown, or the database is newer than the code. Returns the migrations
 * still to apply, in order.
 */
export function checkMigrations(
  applied: readonly AppliedMigration[],
  migrations: readonly Migration[],
): Migration[] {
  const byId = new Map(migrations.map((m) => [m.id, m]));
  const latestKnown = migrations.reduce((max, m) => Math.max(max, m.id), 0);
  for (const row of applied) {
    const known = byId.get(row.id);
    if (!known) {
      if (row.id > latestKnown) {
        throw new IntegrityError(
          `database schema is newer than this code: it has migration ${row.id} (${row.name}), this code knows up to ${latestKnown}; upgrade the adapter`,
          { details: { databaseVersion: applied.at(-1)?.id, codeVersion: latestKnown } },
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
        { details: { migration: row.id, expected: row.checksum, actual: checksum } },
      );
    }
  }
  const done = new Set(applied.map((r) => r.id));
  return [...migrations].sort((a, b) => a.id - b.id).filter((m) => !done.has(m.id));
}

/** The migrations still to apply, after checking the applied ones ({@link checkMigrations}). Writes nothing. */
export async function pendingMigrations(
  dialect: Pick<MigrationDialect, 'readApplied'>,
  migrations: readonly Migration[],
): Promise<Migration[]> {
  return checkMigrations(await dialect.readApplied(), migrations);
}

/**
 * Verifies, then applies pending migrations. With nothing pending it returns after one read, writing nothing and
 * taking no lock. Otherwise it takes the dialect's lock, checks again (another process may have migrated while it
 * waited: N processes starting at once migrate once), applies what is still pending in order, and releases the
 * lock; a failure releases it with `ok: false` and is rethrown. IntegrityError (edited, unknown or newer
 * migrations) is thrown before anything is written.
 */
export async function migrate(
  dialect: MigrationDialect,
  migrations: readonly Migration[],
  options: { now: () => number },
): Promise<MigrationResult> {
  const before = await dialect.readApplied();
  if (checkMigrations(before, migrations).length === 0) return { applied: [], version: versionOf(before) };
  await dialect.acquireLock();
  let ok = false;
  try {
    const applied = await dialect.readApplied();
    const pending = checkMigrations(applied, migrations);
    if (pending.length > 0) await dialect.ensureTable();
    for (const m of pending) {
      await dialect.apply(m, {
        id: m.id,
        name: m.name,
        checksum: migrationChecksum(m),
        appliedAt: options.now(),
      });
    }
    ok = true;
    return {
      applied: pending.map(({ id, name }) => ({ id, name })),
      version: Math.max(versionOf(applied), ...pending.map((m) => m.id)),
    };
  } finally {
    await dialect.releaseLock(ok);
  }
}

function versionOf(applied: readonly AppliedMigration[]): number {
  return applied.reduce((max, m) => Math.max(max, m.id), 0);
}
