import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { openSqliteStore } from '@ax/store-sqlite';
import { AuditLog } from '../src/index.ts';
import { ctxFor, tempDir, TestMacSigner } from './helpers.ts';
const t = tempDir();
const store = await openSqliteStore(join(t.dir, 'o.db'));
await (await openSqliteStore(join(t.dir, 'r.db'))).close();
const raw = new BetterSqlite3(join(t.dir, 'r.db'));
raw.pragma('journal_mode = WAL');
raw.pragma('synchronous = NORMAL');
const COLS =
  'tenant_id, seq, id, timestamp, actor_type, actor_id, action, resource, resource_type, outcome, reason, metadata, ip, user_agent, request_id, prev_hash, hash, key_version, mac';
const ins = raw.prepare(
  `INSERT INTO audit_events (${COLS}) VALUES (${COLS.split(', ')
    .map(() => '?')
    .join(',')})`,
);
const log = new AuditLog({ store, signer: new TestMacSigner() });
const ctx = ctxFor();
const ev = (i: number) => ({
  action: 'role.assign',
  outcome: 'success' as const,
  resource: `res-${i}`,
  resourceType: 'thing',
  metadata: { i, note: 'bench', tags: ['a', 'b'] },
});
const h = Buffer.alloc(32, 1);
let rs = 0,
  ps = 0;
const N = 2000;
for (let r = 0; r < 4; r++) {
  let t0 = performance.now();
  for (let i = 0; i < N; i++)
    ins.run(
      'tnt_x',
      ++rs,
      `aud_${rs}`,
      1000 + rs,
      'user',
      'usr_1',
      'role.assign',
      `res-${i}`,
      'thing',
      'success',
      null,
      `{"i":${i},"note":"bench","tags":["a","b"]}`,
      '203.0.113.7',
      'vitest',
      'req_1',
      h,
      h,
      1,
      h,
    );
  const a = ((performance.now() - t0) * 1000) / N;
  t0 = performance.now();
  for (let i = 0; i < N; i++) await log.append(ctx, ev(i));
  const b = ((performance.now() - t0) * 1000) / N;
  t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const x = ++ps;
    await store.audit.append('tnt_p', (hd) => [
      {
        id: 'aud_x' + x,
        tenantId: 'tnt_p',
        seq: hd.seq + 1,
        timestamp: 5,
        actorType: 'user',
        actorId: 'u',
        action: 'role.assign',
        resource: 'r',
        resourceType: 't',
        outcome: 'success',
        reason: null,
        metadata: '{}',
        ip: null,
        userAgent: null,
        requestId: null,
        prevHash: hd.hash,
        hash: Buffer.alloc(32, x % 250),
        keyVersion: 1,
        mac: h,
      },
    ]);
  }
  const c = ((performance.now() - t0) * 1000) / N;
  console.log(`raw ${a.toFixed(1)} µs  log.append ${b.toFixed(1)} µs  port.append ${c.toFixed(1)} µs`);
}
await store.close();
raw.close();
t.remove();
