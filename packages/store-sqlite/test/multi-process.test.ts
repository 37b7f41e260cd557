import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeTenant } from '@ax/store-testkit';
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../src/index.js';
import { tempDir } from './probes.js';

const run = promisify(execFile);
const child = join(import.meta.dirname, 'fixtures', 'counter-child.ts');

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
