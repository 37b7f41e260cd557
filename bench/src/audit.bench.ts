import { execFileSync } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog, canonicalEvent } from '@ax/audit';
import type { AuditRow, ExecutionContext } from '@ax/core';
import { Keyring, MemoryKeyringStore } from '@ax/crypto';
import { openSqliteStore } from '@ax/store-sqlite';
import BetterSqlite3 from 'better-sqlite3';
import { type BenchCase, percentiles } from './harness.js';

const COLS =
  'tenant_id, seq, id, timestamp, actor_type, actor_id, action, resource, resource_type, outcome, reason, metadata, ip, user_agent, request_id, prev_hash, hash, key_version, mac';
const INSERT = `INSERT INTO audit_events (${COLS}) VALUES (${COLS.split(', ')
  .map(() => '?')
  .join(', ')})`;
const ACTIONS = [
  'role.assign',
  'secret.read',
  'user.login',
  'tenant.update',
  'backup.restore',
  'workflow.execute',
];
const OUTCOMES = ['success', 'success', 'success', 'failure', 'denied'] as const;
const MILLION = Number(process.env.AX_BENCH_AUDIT_EVENTS ?? 1_000_000);

function rawPragmas(db: BetterSqlite3.Database): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
}

function rowArgs(r: AuditRow): unknown[] {
  return [
    r.tenantId,
    r.seq,
    r.id,
    r.timestamp,
    r.actorType,
    r.actorId,
    r.action,
    r.resource,
    r.resourceType,
    r.outcome,
    r.reason,
    r.metadata,
    r.ip,
    r.userAgent,
    r.requestId,
    r.prevHash,
    r.hash,
    r.keyVersion,
    r.mac,
  ];
}

/**
 * Seeds `n` events into the first tenant and `n / 100` into each other one, with raw inserts in one
 * transaction, indexes built after.
 * Hashes are one random value (rows link: each prev_hash is the previous hash, zeros before seq 1), not
 * hashes of the contents: the query and export measurements do not verify, and a real chain of a million
 * would only slow the seeding.
 */
export function seedMillion(file: string, tenants: string[], n: number): void {
  const db = new BetterSqlite3(file);
  rawPragmas(db);
  const indexes = db
    .prepare(
      "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_events' AND sql IS NOT NULL",
    )
    .all() as { sql: string }[];
  for (const i of ['action', 'actor', 'outcome', 'resource', 'time']) db.exec(`DROP INDEX audit_events_${i}`);
  const insert = db.prepare(INSERT);
  const head = db.prepare(
    'INSERT OR REPLACE INTO audit_heads (tenant_id, seq, hash, timestamp) VALUES (?, ?, ?, ?)',
  );
  const seqs = tenants.map(() => 0);
  const hash = randomBytes(32);
  const GENESIS = Buffer.alloc(32);
  const t0 = Date.UTC(2026, 0, 1);
  db.transaction(() => {
    const others = tenants.length - 1;
    const total = n + others * Math.floor(n / 100);
    for (let i = 0; i < total; i++) {
      const t = i < n ? 0 : 1 + (i % others);
      const seq = ++seqs[t]!;
      insert.run(
        tenants[t],
        seq,
        `aud_${String(i).padStart(26, '0')}`,
        t0 + i * 10,
        i % 50 === 0 ? 'apiKey' : 'user',
        `usr_${i % 500}`,
        ACTIONS[i % ACTIONS.length],
        `res-${i % 1000}`,
        'thing',
        OUTCOMES[i % OUTCOMES.length],
        null,
        `{"i":${i},"note":"seeded"}`,
        '203.0.113.7',
        'bench',
        `req_${i}`,
        seq === 1 ? GENESIS : hash, // rows link (export refuses a broken link), contents are not hashed
        hash,
        1,
        hash,
      );
    }
    for (const [k, tn] of tenants.entries()) head.run(tn, seqs[k], hash, t0 + total * 10);
  })();
  for (const { sql } of indexes) db.exec(sql);
  db.exec('ANALYZE');
  db.close();
}

/**
 * @ax/audit against raw better-sqlite3 and raw node:crypto on the same rows and bytes:
 * single and batched appends (hash + HMAC + insert vs insert only), verification throughput (stream,
 * canonicalise, SHA-256, HMAC vs SHA-256 + HMAC over precomputed bytes). Also measured once and printed:
 * query p95 for a filtered page of 100 on 1,000,000 events, and peak RSS of exporting them (child process).
 */
export async function auditCases(): Promise<{ cases: BenchCase[]; cleanup(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'ax-bench-audit-'));
  const keyring = await Keyring.open({
    store: new MemoryKeyringStore(),
    masterKey: `base64:${randomBytes(32).toString('base64')}`,
  });
  const signer = keyring.macSigner('audit.chain');
  const store = await openSqliteStore(join(dir, 'ours.db'));
  await (await openSqliteStore(join(dir, 'raw.db'))).close(); // same schema, triggers and indexes
  const raw = new BetterSqlite3(join(dir, 'raw.db'));
  rawPragmas(raw);
  const rawInsert = raw.prepare(INSERT);
  const log = new AuditLog({ store, signer });
  const ctx: ExecutionContext = {
    tenantId: 'tnt_01JBENCHAAAAAAAAAAAAAAAAAA',
    actor: { type: 'user', id: 'usr_bench' },
    ip: '203.0.113.7',
    requestId: 'req_bench',
    userAgent: 'bench',
  };
  const event = (i: number) => ({
    action: ACTIONS[i % ACTIONS.length]!,
    outcome: OUTCOMES[i % OUTCOMES.length],
    resource: `res-${i % 1000}`,
    resourceType: 'thing',
    metadata: { i, note: 'bench', tags: ['a', 'b'] },
  });
  // The peer inserts exactly the rows ours produced (same bytes, same table), minus the hashing and signing.
  const sample = await log.appendBatch(
    { ...ctx, tenantId: 'tnt_01JSAMPLEAAAAAAAAAAAAAAAAA' },
    Array.from({ length: 2000 }, (_, i) => event(i)),
  );
  const sampleRows = (await store.audit.readRange(sample[0]!.tenantId, { fromSeq: 1, limit: 2000 })).map(
    rowArgs,
  );
  let peerSeq = 0;
  const peerRow = () => {
    const args = sampleRows[peerSeq % sampleRows.length]!.slice();
    args[0] = 'tnt_01JPEERAAAAAAAAAAAAAAAAAAA';
    args[1] = ++peerSeq;
    return args;
  };
  const rawBatch = raw.transaction((n: number) => {
    for (let k = 0; k < n; k++) rawInsert.run(...peerRow());
  });

  // verification: a 10,000-event chain; the peer hashes and MACs the same canonical bytes
  const VERIFY_N = 10_000;
  const vctx = { ...ctx, tenantId: 'tnt_01JVERIFYAAAAAAAAAAAAAAAAA' };
  for (let i = 0; i < VERIFY_N; i += 500) {
    await log.appendBatch(
      vctx,
      Array.from({ length: 500 }, (_, k) => event(i + k)),
    );
  }
  const vrows = await store.audit.readRange(vctx.tenantId, { fromSeq: 1, limit: VERIFY_N });
  const vbytes = vrows.map((r) => ({
    prev: r.prevHash,
    canonical: Buffer.from(canonicalEvent(r)),
    mac: r.mac,
  }));
  const macKey = randomBytes(32);
  let i = 0;
  let b = 0;

  const cases: BenchCase[] = [
    {
      id: 'audit/append-single',
      ours: { name: '@ax/audit append (hash+HMAC+insert, tx)', fn: () => log.append(ctx, event(i++)) },
      peer: { name: 'better-sqlite3 insert of the same row', fn: () => rawInsert.run(...peerRow()) },
      target: { minRatio: 0.5 },
    },
    {
      id: 'audit/append-batch-100',
      ours: {
        name: '@ax/audit appendBatch(100)',
        fn: () =>
          log.appendBatch(
            ctx,
            Array.from({ length: 100 }, () => event(b++)),
          ),
      },
      peer: { name: 'better-sqlite3 100 inserts in one tx', fn: () => rawBatch(100) },
      target: { minRatio: 0.7 },
    },
    {
      id: 'audit/verify-10k-events',
      ours: { name: '@ax/audit verify (stream+canonical+SHA+HMAC)', fn: () => log.verify(vctx.tenantId) },
      peer: {
        name: 'node:crypto SHA-256 + HMAC, same bytes',
        fn: () => {
          let ok = 0;
          for (const v of vbytes) {
            const h = createHash('sha256').update(v.prev).update(v.canonical).digest();
            if (createHmac('sha256', macKey).update(h).digest().byteLength === v.mac.byteLength) ok++;
          }
          return ok;
        },
      },
      target: { minRatio: 0.5, note: 'events/s = ops/s x 10,000' },
    },
  ];

  // query p95 and export peak RSS on 1,000,000 events
  const bigFile = join(dir, 'million.db');
  await (await openSqliteStore(bigFile)).close();
  const tenants = [
    'tnt_01JBIGAAAAAAAAAAAAAAAAAAAA',
    'tnt_01JBIGBBBBBBBBBBBBBBBBBBBB',
    'tnt_01JBIGCCCCCCCCCCCCCCCCCCCC',
    'tnt_01JBIGDDDDDDDDDDDDDDDDDDDD',
  ];
  const s0 = Date.now();
  seedMillion(bigFile, tenants, MILLION);
  console.log(
    `\naudit: seeded ${MILLION.toLocaleString('en-US')} events in one tenant (+1% in each of 3 others) in ${((Date.now() - s0) / 1000).toFixed(1)} s`,
  );
  const big = await openSqliteStore(bigFile);
  const bigLog = new AuditLog({ store: big, signer });
  const t = tenants[0]!;
  const filters = [
    { name: 'tenant + action', f: { tenantId: t, action: 'secret.read' } },
    {
      name: 'tenant + action prefix + outcome',
      f: { tenantId: t, actionPrefix: 'role.', outcome: 'denied' as const },
    },
    { name: 'tenant + actor', f: { tenantId: t, actorId: 'usr_42' } },
    {
      name: 'tenant + outcome + time range',
      f: {
        tenantId: t,
        outcome: 'failure' as const,
        since: Date.UTC(2026, 0, 1) + 2_000_000,
        until: Date.UTC(2026, 0, 1) + 6_000_000,
      },
    },
    { name: 'tenant, next page via cursor', f: { tenantId: t, action: 'user.login', cursor: 's500000' } },
  ];
  const extra: Record<string, unknown> = {};
  for (const { name, f } of filters) {
    const first = await bigLog.query({ ...f, limit: 100 });
    const p = await percentiles(300, () => bigLog.query({ ...f, limit: 100 }));
    console.log(
      `audit/query-p95 ${name}: p50 ${(p.p50Us / 1000).toFixed(2)} ms, p95 ${(p.p95Us / 1000).toFixed(2)} ms (${first.events.length} rows; target p95 < 5 ms)`,
    );
    extra[`audit/query-p95/${name}`] = {
      ...p,
      rows: first.events.length,
      targetP95Ms: 5,
      met: p.p95Us < 5000,
    };
  }
  await big.close();
  const child = join(import.meta.dirname, 'audit-export-child.mjs');
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', child, bigFile, t, join(dir, 'export.jsonl')],
    {
      encoding: 'utf8',
    },
  );
  const rss = JSON.parse(out.trim().split('\n').pop()!);
  console.log(
    `audit/export-1M peak RSS: ${rss.maxRssMb.toFixed(1)} MB for ${rss.count.toLocaleString('en-US')} events in ${rss.seconds.toFixed(1)} s (target < 150 MB)`,
  );
  extra['audit/export-peak-rss'] = { ...rss, targetMb: 150, met: rss.maxRssMb < 150 };

  return {
    cases,
    async cleanup() {
      raw.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
      const file = join(import.meta.dirname, '..', 'results.json');
      let existing: { cases?: Record<string, unknown> } = {};
      try {
        existing = JSON.parse(readFileSync(file, 'utf8'));
      } catch {
        existing = {};
      }
      const at = new Date().toISOString();
      const merged = { ...existing, cases: { ...existing.cases } };
      for (const [k, v] of Object.entries(extra)) merged.cases[k] = { ...(v as object), at };
      writeFileSync(file, `${JSON.stringify(merged, null, 2)}\n`);
    },
  };
}
