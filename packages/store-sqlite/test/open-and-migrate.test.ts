import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { IntegrityError } from '@ax/core';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, type Migration, openSqliteStore } from '../src/index.js';
import { tempFiles } from './probes.js';

const { tmpFile, cleanups } = tempFiles();

describe('openSqliteStore', () => {
  it('sets WAL, foreign keys, busy timeout and synchronous=NORMAL', async () => {
    const store = await openSqliteStore(tmpFile(), { busyTimeoutMs: 1234 });
    cleanups.push(() => store.close());
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(store.db.pragma('busy_timeout', { simple: true })).toBe(1234);
    expect(store.db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
  });

  it('works in memory', async () => {
    const store = await openSqliteStore(':memory:');
    cleanups.push(() => store.close());
    await store.ping();
    expect(await store.tenants.list({ limit: 1 })).toEqual([]);
  });

  it('records every migration with a checksum, once', async () => {
    const file = tmpFile();
    const first = await openSqliteStore(file);
    expect(await first.pendingMigrations()).toEqual([]);
    expect((await first.migrate()).applied).toEqual([]);
    await first.close();
    const raw = new BetterSqlite3(file);
    cleanups.push(() => void raw.close());
    const rows = raw.prepare('SELECT id, name, checksum FROM ax_migrations ORDER BY id').all();
    expect(rows).toHaveLength(MIGRATIONS.length);
    expect(rows[0]).toMatchObject({
      id: 1,
      name: 'core',
      checksum: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it('ping fails once the database file is deleted', async () => {
    const file = tmpFile();
    const store = await openSqliteStore(file);
    cleanups.push(() => store.close());
    await store.ping();
    const { rmSync } = await import('node:fs');
    rmSync(file);
    await expect(store.ping()).rejects.toBeInstanceOf(IntegrityError);
  });
});

describe('opening a store whose migrations are all applied', () => {
  it('writes nothing and takes no write lock', async () => {
    const file = tmpFile();
    await (await openSqliteStore(file)).close();
    const observer = new BetterSqlite3(file);
    cleanups.push(() => void observer.close());
    const version = () => observer.pragma('data_version', { simple: true });
    const before = version();
    const mtimes = () => [file, `${file}-wal`].map((f) => (existsSync(f) ? statSync(f).mtimeMs : null));
    const filesBefore = mtimes();
    // Another process holds the write lock: an open that wanted it (BEGIN IMMEDIATE) would fail after 50 ms.
    observer.exec('BEGIN IMMEDIATE');
    try {
      const store = await openSqliteStore(file, { busyTimeoutMs: 50 });
      expect(store.db.prepare('SELECT total_changes() AS n').get()).toEqual({ n: 0 });
      await store.ping();
      expect(await store.tenants.list({ limit: 5 })).toEqual([]);
      expect(store.db.prepare('SELECT total_changes() AS n').get()).toEqual({ n: 0 });
      await store.close();
    } finally {
      observer.exec('ROLLBACK');
    }
    expect(version()).toBe(before); // no other connection committed anything
    expect(mtimes()).toEqual(filesBefore);
  });
});

describe('migration integrity', () => {
  const extra: Migration = {
    id: 2,
    name: 'widgets',
    sql: 'CREATE TABLE widgets (id TEXT PRIMARY KEY) STRICT;',
  };

  it('applies new migrations forward-only', async () => {
    const file = tmpFile();
    await (await openSqliteStore(file, { migrations: [MIGRATIONS[0]!] })).close();
    await expect(
      openSqliteStore(file, {
        migrations: [MIGRATIONS[0]!, extra],
        migrate: false,
      }),
    ).rejects.toThrow(/needs 1 migration/);
    const store = await openSqliteStore(file, {
      migrations: [MIGRATIONS[0]!, extra],
    });
    expect(await store.pendingMigrations()).toEqual([]);
    expect(await store.migrate()).toEqual({ applied: [], version: 2 });
    await store.close();
  });

  it('refuses a migration edited after it was applied, with IntegrityError, writing nothing', async () => {
    const file = tmpFile();
    await (await openSqliteStore(file, { migrations: [MIGRATIONS[0]!, extra] })).close();
    const before = readFileSync(file);
    const edited = {
      ...extra,
      sql: `${extra.sql}\nCREATE TABLE sneaky (x) STRICT;`,
    };
    const third: Migration = {
      id: 3,
      name: 'later',
      sql: 'CREATE TABLE later (x INTEGER) STRICT;',
    };
    const err = await openSqliteStore(file, {
      migrations: [MIGRATIONS[0]!, edited, third],
    }).catch((e) => e);
    expect(err).toBeInstanceOf(IntegrityError);
    expect(err.code).toBe('INTEGRITY');
    expect(err.message).toMatch(/migration 2 \(widgets\) was edited after it was applied/);
    expect(readFileSync(file).equals(before)).toBe(true);
    const raw = new BetterSqlite3(file, { readonly: true });
    cleanups.push(() => void raw.close());
    expect(raw.prepare("SELECT name FROM sqlite_master WHERE name IN ('sneaky', 'later')").all()).toEqual([]);
  });

  it('refuses a database newer than the code', async () => {
    const file = tmpFile();
    await (await openSqliteStore(file, { migrations: [MIGRATIONS[0]!, extra] })).close();
    const err = await openSqliteStore(file, {
      migrations: [MIGRATIONS[0]!],
    }).catch((e) => e);
    expect(err).toBeInstanceOf(IntegrityError);
    expect(err.message).toMatch(/newer than this code/);
  });

  it('rolls back a migration that fails halfway', async () => {
    const file = tmpFile();
    await (await openSqliteStore(file, { migrations: [MIGRATIONS[0]!] })).close();
    const broken: Migration = {
      id: 2,
      name: 'broken',
      sql: 'CREATE TABLE half (x) STRICT; CREATE TABLE half (y);',
    };
    await expect(openSqliteStore(file, { migrations: [MIGRATIONS[0]!, broken] })).rejects.toThrow();
    const raw = new BetterSqlite3(file, { readonly: true });
    cleanups.push(() => void raw.close());
    expect(raw.prepare("SELECT name FROM sqlite_master WHERE name = 'half'").all()).toEqual([]);
    expect(raw.prepare('SELECT max(id) AS v FROM ax_migrations').get()).toEqual({ v: 1 });
  });
});

describe('port use inside a transaction', () => {
  it('rejects the store’s own ports inside its transaction instead of deadlocking', async () => {
    const store = await openSqliteStore(':memory:');
    cleanups.push(() => store.close());
    await expect(store.transaction(() => store.tenants.get('tnt_x'))).rejects.toThrow(/use the `tx` ports/);
    await expect(store.transaction(() => store.transaction(async () => 1))).rejects.toThrow(/nested/);
  });
});
