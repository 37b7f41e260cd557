import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeTenant } from '@ax/store-testkit';
import { describe, expect, it } from 'vitest';
import BetterSqlite3 from 'better-sqlite3';
import { MIGRATIONS, openSqliteStore } from '../src/index.js';
import { tempDir } from './probes.js';

const run = promisify(execFile);
const child = join(import.meta.dirname, 'fixtures', 'counter-child.ts');
const opener = join(import.meta.dirname, 'fixtures', 'open-child.ts');

describe('several processes on one database file', () => {
  it('serialise their transactions: no lost update, no SQLITE_BUSY', async () => {
    const tmp = tempDir();
    try {
      const file = join(tmp.dir, 'shared.db');
      const store = await openSqliteStore(file);
      const counter = makeTenant({ name: '0' });
      await store.tenants.insert(counter);
      const procs = Array.from({ length: 3 }, () =>
        run(process.execPath, ['--import', 'tsx', child, file, counter.id, '100']),
      );
      // this process writes too, at the same time
      for (let i = 0; i < 100; i++) {
        await store.transaction(async (tx) => {
          const t = await tx.tenants.get(counter.id);
          await tx.tenants.update(counter.id, {
            name: String(Number(t!.name) + 1),
            updatedAt: i,
          });
        });
      }
      await Promise.all(procs);
      expect((await store.tenants.get(counter.id))?.name).toBe('400');
      await store.close();
    } finally {
      tmp.remove();
    }
  });
});

describe('several processes opening one new database file at once', () => {
  it('migrate it once between them, and every one opens', async () => {
    const tmp = tempDir();
    try {
      const file = join(tmp.dir, 'new.db');
      const go = join(tmp.dir, 'go');
      const procs = Array.from({ length: 6 }, () =>
        run(process.execPath, ['--import', 'tsx', opener, file, go]),
      );
      await new Promise((r) => setTimeout(r, 1500)); // let the six start and wait at the barrier
      writeFileSync(go, '');
      const outs = (await Promise.all(procs)).map((p) => JSON.parse(p.stdout) as { applied: number[] });
      const applied = outs.flatMap((o) => o.applied).sort((a, b) => a - b);
      expect(applied).toEqual(MIGRATIONS.map((m) => m.id)); // each migration applied by exactly one process
      const raw = new BetterSqlite3(file, { readonly: true });
      try {
        expect(raw.prepare('SELECT id FROM ax_migrations ORDER BY id').all()).toEqual(
          MIGRATIONS.map((m) => ({ id: m.id })),
        );
      } finally {
        raw.close();
      }
    } finally {
      tmp.remove();
    }
  }, 60_000);
});
