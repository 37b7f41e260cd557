import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { openSqliteStore } from '@ax/store-sqlite';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../src/index.js';
import { ctxFor, fixture, T1, TestMacSigner, tempDir } from './helpers.js';

const run = promisify(execFile);
const child = join(import.meta.dirname, 'fixtures', 'append-child.ts');

function seqs(file: string, tenantId: string): number[] {
  const raw = new BetterSqlite3(file, { readonly: true });
  try {
    return (
      raw.prepare('SELECT seq FROM audit_events WHERE tenant_id = ? ORDER BY seq').all(tenantId) as {
        seq: number;
      }[]
    ).map((r) => r.seq);
  } finally {
    raw.close();
  }
}

describe('concurrent appends', () => {
  it('from many async callers form one linear, gap-free chain', async () => {
    const f = await fixture();
    try {
      await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          i % 10 === 0
            ? f.log.appendBatch(ctxFor(), [{ action: 'user.login' }, { action: 'user.logout' }])
            : f.log.append(ctxFor(T1, `usr_${i}`), { action: 'user.login' }),
        ),
      );
      expect(seqs(f.file, T1)).toEqual(Array.from({ length: 220 }, (_, i) => i + 1));
      expect(await f.log.verify(T1)).toMatchObject({ ok: true, count: 220 });
    } finally {
      await f.cleanup();
    }
  });

  it('from several processes on one file form one linear, gap-free chain', async () => {
    const tmp = tempDir();
    try {
      const file = join(tmp.dir, 'shared.db');
      const store = await openSqliteStore(file);
      const log = new AuditLog({ store, signer: new TestMacSigner() });
      const procs = [1, 2, 3].map((p) =>
        run(process.execPath, ['--import', 'tsx', child, file, T1, '60', `usr_proc${p}`]),
      );
      for (let i = 0; i < 60; i++) await log.append(ctxFor(T1, 'usr_parent'), { action: 'user.login' });
      await Promise.all(procs);
      // each child writes 60 iterations, 8 or 9 of them batches of two
      const expected =
        60 + 3 * (60 + Array.from({ length: 60 }, (_, i) => i).filter((i) => i % 7 === 3).length);
      expect(seqs(file, T1)).toEqual(Array.from({ length: expected }, (_, i) => i + 1));
      expect(await log.verify(T1)).toMatchObject({ ok: true, count: expected });
      await store.close();
    } finally {
      tmp.remove();
    }
  }, 120_000);

  it('survive SIGKILL of an appending child: the chain verifies and no seq is missing', async () => {
    const tmp = tempDir();
    try {
      const file = join(tmp.dir, 'crash.db');
      await (await openSqliteStore(file)).close();
      for (let round = 0; round < 3; round++) {
        const c = spawn(process.execPath, ['--import', 'tsx', child, file, T1, '0', 'usr_doomed'], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        await once(c.stdout!, 'data');
        await new Promise((r) => setTimeout(r, 150 + round * 100));
        c.kill('SIGKILL');
        await once(c, 'exit');
      }
      const store = await openSqliteStore(file);
      const log = new AuditLog({ store, signer: new TestMacSigner() });
      const got = seqs(file, T1);
      expect(got.length).toBeGreaterThan(3);
      expect(got).toEqual(Array.from({ length: got.length }, (_, i) => i + 1));
      expect((await store.audit.head(T1)).seq).toBe(got.length);
      expect(await log.verify(T1)).toMatchObject({ ok: true, count: got.length });
      await store.close();
    } finally {
      tmp.remove();
    }
  }, 120_000);
});
