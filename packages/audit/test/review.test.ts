import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { canonicalJson, exportAuditToFile, verifyExport } from '../src/index.js';
import { ctxFor, fixture, T1 } from './helpers.js';

describe('review: canonical JSON and redaction edge cases', () => {
  it('writes holes in sparse arrays as null (valid JSON), like JSON.stringify', () => {
    // biome-ignore lint/suspicious/noSparseArray: the case under test
    const sparse = [, 1, , 2];
    expect(canonicalJson({ a: sparse })).toBe('{"a":[null,1,null,2]}');
    expect(canonicalJson(new Array(2))).toBe('[null,null]');
  });

  it('an event with a sparse array in its metadata stays readable and verifiable', async () => {
    const f = await fixture();
    try {
      // biome-ignore lint/suspicious/noSparseArray: the case under test
      await f.log.append(ctxFor(), { action: 'user.login', metadata: { tags: [, 'x'] } });
      const page = await f.log.query({ tenantId: T1, limit: 10 });
      expect(page.events[0]!.metadata).toEqual({ tags: [null, 'x'] });
      expect((await f.log.verify(T1)).ok).toBe(true);
    } finally {
      await f.cleanup();
    }
  });
});

describe('review: a "__proto__" metadata key', () => {
  it('is recorded (and redacted inside) rather than silently dropped', async () => {
    const f = await fixture();
    try {
      const metadata = JSON.parse('{"__proto__":{"password":"hunter2","note":"kept"},"b":1}');
      await f.log.append(ctxFor(), { action: 'user.login', metadata });
      const [row] = await f.store.audit.readRange(T1, { fromSeq: 1, limit: 1 });
      expect(row!.metadata).toBe('{"__proto__":{"note":"kept","password":"[REDACTED]"},"b":1}');
      expect((await f.log.verify(T1)).ok).toBe(true);
    } finally {
      await f.cleanup();
    }
  });
});

describe('review: export never signs a checkpoint over a range the head says is incomplete', () => {
  for (const [name, cut] of [
    ['the tail was cut (head left in place)', 'seq >= 4'],
    ['a middle row was deleted', 'seq = 2'],
  ] as const) {
    it(`refuses when ${name}`, async () => {
      const f = await fixture();
      try {
        for (let i = 0; i < 5; i++) await f.log.append(ctxFor(), { action: 'user.login' });
        const raw = new BetterSqlite3(f.file);
        raw.exec('DROP TRIGGER audit_events_no_delete');
        raw.prepare(`DELETE FROM audit_events WHERE ${cut}`).run();
        raw.close();
        const out = join(f.dir, 'cut.jsonl');
        const attempt = exportAuditToFile(f.log, T1, out, { format: 'jsonl' }).then(async (m) => ({
          manifest: m,
          check: await verifyExport(out, m, f.signer),
        }));
        // Before: the export "succeeded" with a signed checkpoint at seq 3 (a laundered truncation).
        await expect(attempt).rejects.toMatchObject({ code: 'INTEGRITY' });
      } finally {
        await f.cleanup();
      }
    });
  }
});

describe('review: chain blobs edited to another length are classified exactly', () => {
  for (const [col, bytes, kind] of [
    ['hash', 'randomblob(31)', 'modified'],
    ['hash', 'zeroblob(32)', 'modified'],
    ['mac', 'zeroblob(32)', 'bad-signature'],
    ['hash', "CAST(hash || x'00' AS BLOB)", 'modified'],
    ['prev_hash', "CAST(prev_hash || x'00' AS BLOB)", 'modified'],
    ['prev_hash', 'substr(prev_hash, 1, 16)', 'modified'],
    ['mac', 'substr(mac, 1, 31)', 'bad-signature'],
    ['mac', "CAST(mac || x'0000' AS BLOB)", 'bad-signature'],
  ] as const) {
    it(`${col} = ${bytes} at seq 3 → ${kind} at 3`, async () => {
      const f = await fixture();
      try {
        for (let i = 0; i < 5; i++) await f.log.append(ctxFor(), { action: 'user.login' });
        const raw = new BetterSqlite3(f.file);
        raw.exec('DROP TRIGGER audit_events_no_update');
        raw.prepare(`UPDATE audit_events SET ${col} = ${bytes} WHERE seq = 3`).run();
        raw.close();
        expect(await f.log.verify(T1)).toMatchObject({ ok: false, seq: 3, kind });
        const rows = await f.store.audit.readRange(T1, { fromSeq: 3, limit: 1 });
        // The adapter returns the blobs exactly as stored (NUL bytes and odd lengths included).
        const ro = new BetterSqlite3(f.file, { readonly: true });
        const stored = ro.prepare('SELECT prev_hash, hash, mac FROM audit_events WHERE seq = 3').get() as {
          prev_hash: Buffer;
          hash: Buffer;
          mac: Buffer;
        };
        ro.close();
        expect(Buffer.from(rows[0]!.prevHash)).toEqual(stored.prev_hash);
        expect(Buffer.from(rows[0]!.hash)).toEqual(stored.hash);
        expect(Buffer.from(rows[0]!.mac)).toEqual(stored.mac);
      } finally {
        await f.cleanup();
      }
    });
  }
});

describe('review: checkpoint() signs only a head that matches its signed last event', () => {
  it('refuses a head whose hash was rewritten (the head trigger only guards seq)', async () => {
    const f = await fixture();
    try {
      for (let i = 0; i < 3; i++) await f.log.append(ctxFor(), { action: 'user.login' });
      const raw = new BetterSqlite3(f.file);
      raw.prepare('UPDATE audit_heads SET hash = randomblob(32)').run(); // no trigger to drop
      raw.close();
      await expect(f.log.checkpoint(T1)).rejects.toMatchObject({ code: 'INTEGRITY' });
      expect(await f.store.audit.latestCheckpoint(T1)).toBeNull();
    } finally {
      await f.cleanup();
    }
  });

  it('still checkpoints an empty chain and a healthy one', async () => {
    const f = await fixture();
    try {
      expect((await f.log.checkpoint(T1)).seq).toBe(0);
      await f.log.append(ctxFor(), { action: 'user.login' });
      expect((await f.log.checkpoint(T1)).seq).toBe(1);
    } finally {
      await f.cleanup();
    }
  });
});
