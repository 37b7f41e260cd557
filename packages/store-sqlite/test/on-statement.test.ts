import { join } from 'node:path';
import { makeTenant } from '@ax/store-testkit';
import { describe, expect, it } from 'vitest';
import { migrateSqlite, openSqliteStore } from '../src/index.js';
import { tempFiles } from './probes.js';

const { tmpFile, cleanups } = tempFiles();

describe('openSqliteStore({ onStatement })', () => {
  it('reports every statement the connection runs, from the PRAGMAs at open on', async () => {
    const file = tmpFile();
    await migrateSqlite(file);
    const seen: string[] = [];
    const store = await openSqliteStore(file, { onStatement: (sql) => seen.push(sql) });
    cleanups.push(() => store.close());
    // opening a migrated store: two PRAGMAs and one read of the applied migrations (the busy timeout is the
    // driver's, and WAL is read from the file's header: neither is a statement)
    expect(seen).toEqual([
      'PRAGMA foreign_keys = ON',
      'PRAGMA synchronous = NORMAL',
      'SELECT id, name, checksum FROM ax_migrations ORDER BY id',
    ]);

    const t = makeTenant();
    await store.tenants.insert(t);
    seen.length = 0;
    expect((await store.tenants.get(t.id))?.id).toBe(t.id);
    expect(seen).toEqual([`SELECT * FROM tenants WHERE id = '${t.id}'`]);

    seen.length = 0;
    await store.transaction((tx) => tx.tenants.get(t.id));
    expect(seen).toEqual([
      'BEGIN IMMEDIATE',
      'SAVEPOINT ax_tx_work',
      `SELECT * FROM tenants WHERE id = '${t.id}'`,
      'COMMIT',
    ]);
  });
});
