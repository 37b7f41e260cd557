import { describe, expect, it } from 'vitest';
import {
  type AppliedMigration,
  type Migration,
  type MigrationDialect,
  migrate,
  migrationChecksum,
  pendingMigrations,
} from '../src/adapter/index.js';
import { IntegrityError } from '../src/index.js';

const m1: Migration = { id: 1, name: 'one', sql: 'CREATE TABLE one (x)' };
const m2: Migration = { id: 2, name: 'two', sql: 'CREATE TABLE two (x)' };

/** A dialect over an array, logging every step. */
function fakeDialect(applied: AppliedMigration[] = [], failOn?: number) {
  const log: string[] = [];
  const dialect: MigrationDialect = {
    async readApplied() {
      log.push('read');
      return [...applied];
    },
    async acquireLock() {
      log.push('lock');
    },
    async releaseLock(ok) {
      log.push(`unlock ${ok}`);
    },
    async ensureTable() {
      log.push('table');
    },
    async apply(m, record) {
      if (m.id === failOn) throw new Error(`migration ${m.id} fails`);
      log.push(`apply ${m.id}`);
      applied.push({ id: record.id, name: record.name, checksum: record.checksum });
    },
  };
  return { dialect, log, applied };
}

const rec = (m: Migration): AppliedMigration => ({ id: m.id, name: m.name, checksum: migrationChecksum(m) });
const now = () => 42;

describe('the migration kit of @ax/core/adapter', () => {
  it('applies pending migrations in order under the lock, re-reading once it holds it', async () => {
    const { dialect, log } = fakeDialect();
    expect(await migrate(dialect, [m2, m1], { now })).toEqual({
      applied: [
        { id: 1, name: 'one' },
        { id: 2, name: 'two' },
      ],
      version: 2,
    });
    expect(log).toEqual(['read', 'lock', 'read', 'table', 'apply 1', 'apply 2', 'unlock true']);
  });

  it('with nothing pending reads once, takes no lock and writes nothing', async () => {
    const { dialect, log } = fakeDialect([rec(m1), rec(m2)]);
    expect(await migrate(dialect, [m1, m2], { now })).toEqual({ applied: [], version: 2 });
    expect(log).toEqual(['read']);
  });

  it('refuses edited, unknown and newer migrations before taking the lock', async () => {
    const edited = fakeDialect([{ ...rec(m1), checksum: 'x'.repeat(64) }]);
    await expect(migrate(edited.dialect, [m1, m2], { now })).rejects.toThrow(/edited after it was applied/);
    expect(edited.log).toEqual(['read']);
    const newer = fakeDialect([rec(m1), rec(m2)]);
    await expect(migrate(newer.dialect, [m1], { now })).rejects.toBeInstanceOf(IntegrityError);
    const unknown = fakeDialect([{ id: 1, name: 'gone', checksum: 'y' }, rec(m2)]);
    await expect(pendingMigrations(unknown.dialect, [m2])).rejects.toThrow(/does not ship/);
  });

  it('releases the lock as failed when a migration fails, and rethrows', async () => {
    const { dialect, log } = fakeDialect([], 2);
    await expect(migrate(dialect, [m1, m2], { now })).rejects.toThrow('migration 2 fails');
    expect(log.at(-1)).toBe('unlock false');
  });

  it('finds the work done when another process migrated while it waited for the lock', async () => {
    const applied: AppliedMigration[] = [];
    const { dialect, log } = fakeDialect(applied);
    const lock = dialect.acquireLock;
    dialect.acquireLock = async () => {
      applied.push(rec(m1), rec(m2)); // the other process, while we waited
      await lock();
    };
    expect(await migrate(dialect, [m1, m2], { now })).toEqual({ applied: [], version: 2 });
    expect(log).toEqual(['read', 'lock', 'read', 'unlock true']);
  });
});
