// Shared by tamper-fuzz-a/b.test.ts. The verifier under attack: 10,000 random mutations of a 1,000-event log, applied with raw SQL after
// dropping the append-only triggers. Each must be reported with the right kind at the right seq.
import { createHash, createHmac } from 'node:crypto';
import type { Database, Statement } from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalEvent, type PublishedCheckpoint, type TamperKind } from '../src/index.js';
import { ctxFor, type Fixture, fixture, T1, T2 } from './helpers.js';

const N = 1000;
const FIELDS = [
  'id',
  'timestamp',
  'actor_type',
  'actor_id',
  'action',
  'resource',
  'resource_type',
  'outcome',
  'reason',
  'metadata',
  'ip',
  'user_agent',
  'request_id',
  'hash',
  'prev_hash',
] as const;

type Mutation =
  | { kind: 'field'; seq: number; field: (typeof FIELDS)[number]; salt: number }
  | { kind: 'delete'; seq: number }
  | { kind: 'swap'; a: number; b: number }
  | { kind: 'forge-tail'; salt: number; copyMac: boolean }
  | { kind: 'forge-middle'; seq: number; salt: number }
  | { kind: 'truncate'; keep: number }
  | { kind: 'resign'; seq: number; rechain: boolean; salt: number };

const seqArb = fc.integer({ min: 1, max: N });
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('field' as const),
    seq: seqArb,
    field: fc.constantFrom(...FIELDS),
    salt: fc.nat(),
  }),
  fc.record({
    kind: fc.constant('delete' as const),
    seq: fc.integer({ min: 1, max: N - 1 }),
  }),
  fc
    .tuple(seqArb, seqArb)
    .filter(([a, b]) => a !== b)
    .map(([a, b]) => ({
      kind: 'swap' as const,
      a: Math.min(a, b),
      b: Math.max(a, b),
    })),
  fc.record({
    kind: fc.constant('forge-tail' as const),
    salt: fc.nat(),
    copyMac: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('forge-middle' as const),
    seq: seqArb,
    salt: fc.nat(),
  }),
  fc.record({
    kind: fc.constant('truncate' as const),
    keep: fc.integer({ min: 0, max: N - 1 }),
  }),
  fc.record({
    kind: fc.constant('resign' as const),
    seq: seqArb,
    rechain: fc.boolean(),
    salt: fc.nat(),
  }),
);

const WRONG_KEY = Buffer.from('not-the-audit-key');
const COLS =
  'id, timestamp, actor_type, actor_id, action, resource, resource_type, outcome, reason, metadata, ip, user_agent, request_id, prev_hash, hash, key_version, mac';

interface RawRow {
  tenant_id: string;
  seq: number;
  id: string;
  timestamp: number;
  actor_type: string;
  actor_id: string;
  action: string;
  resource: string | null;
  resource_type: string | null;
  outcome: string;
  reason: string | null;
  metadata: string;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  prev_hash: Buffer;
  hash: Buffer;
  key_version: number;
  mac: Buffer;
}

function fields(r: RawRow): Parameters<typeof canonicalEvent>[0] {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    seq: r.seq,
    timestamp: r.timestamp,
    actorType: r.actor_type,
    actorId: r.actor_id,
    action: r.action,
    resource: r.resource,
    resourceType: r.resource_type,
    outcome: r.outcome,
    reason: r.reason,
    metadata: r.metadata,
    ip: r.ip,
    userAgent: r.user_agent,
    requestId: r.request_id,
  };
}

const sha = (prev: Buffer, r: RawRow) =>
  createHash('sha256')
    .update(prev)
    .update(canonicalEvent(fields(r)), 'utf8')
    .digest();

function changed(field: (typeof FIELDS)[number], r: RawRow, salt: number): unknown {
  switch (field) {
    case 'timestamp':
      return r.timestamp + 1 + (salt % 1000);
    case 'hash':
    case 'prev_hash': {
      const b = Buffer.from(r[field]);
      b[salt % 32] = b[salt % 32]! ^ (1 + (salt % 255));
      return b;
    }
    case 'metadata':
      return `{"x":${salt}}` === r.metadata ? `{"x":${salt + 1}}` : `{"x":${salt}}`;
    case 'outcome':
      return r.outcome === 'denied' ? 'success' : 'denied';
    default: {
      const v = r[field];
      return v === null
        ? `forged-${salt}`
        : `${v}${salt % 2 === 0 ? 'x' : ''}`.slice(0, 1) === v
          ? `${v}!`
          : `${v}!`;
    }
  }
}

const stmts = new Map<string, Statement>();
function prep(db: Database, sql: string): Statement {
  let s = stmts.get(sql);
  if (!s) {
    s = db.prepare(sql);
    stmts.set(sql, s);
  }
  return s;
}

/** Applies a mutation through raw SQL; returns the kind and seq the verifier must report. */
function apply(db: Database, m: Mutation, row: (seq: number) => RawRow): { kind: TamperKind; seq: number } {
  const setCols = (seq: number, r: RawRow) =>
    prep(
      db,
      `UPDATE audit_events SET ${COLS.split(', ')
        .map((c) => `${c} = ?`)
        .join(', ')} WHERE tenant_id = ? AND seq = ?`,
    ).run(
      r.id,
      r.timestamp,
      r.actor_type,
      r.actor_id,
      r.action,
      r.resource,
      r.resource_type,
      r.outcome,
      r.reason,
      r.metadata,
      r.ip,
      r.user_agent,
      r.request_id,
      r.prev_hash,
      r.hash,
      r.key_version,
      r.mac,
      T1,
      seq,
    );
  const insert = (r: RawRow) =>
    prep(
      db,
      `INSERT INTO audit_events (tenant_id, seq, ${COLS}) VALUES (?, ?, ${COLS.split(', ')
        .map(() => '?')
        .join(', ')})`,
    ).run(
      T1,
      r.seq,
      r.id,
      r.timestamp,
      r.actor_type,
      r.actor_id,
      r.action,
      r.resource,
      r.resource_type,
      r.outcome,
      r.reason,
      r.metadata,
      r.ip,
      r.user_agent,
      r.request_id,
      r.prev_hash,
      r.hash,
      r.key_version,
      r.mac,
    );
  const forged = (seq: number, prev: Buffer, salt: number): RawRow => {
    const r: RawRow = {
      ...row(1 + (salt % N)),
      seq,
      id: `aud_FORGED${String(salt).padStart(18, '0')}`.slice(0, 30),
      action: 'role.assign',
      actor_id: 'usr_mallory',
      prev_hash: prev,
    };
    r.hash = sha(prev, r);
    return r;
  };
  switch (m.kind) {
    case 'field': {
      const r = row(m.seq);
      prep(db, `UPDATE audit_events SET ${m.field} = ? WHERE tenant_id = ? AND seq = ?`).run(
        changed(m.field, r, m.salt) as never,
        T1,
        m.seq,
      );
      return { kind: 'modified', seq: m.seq };
    }
    case 'delete':
      prep(db, 'DELETE FROM audit_events WHERE tenant_id = ? AND seq = ?').run(T1, m.seq);
      return { kind: 'missing', seq: m.seq };
    case 'swap': {
      const a = row(m.a);
      const b = row(m.b);
      setCols(m.a, b);
      setCols(m.b, a);
      return { kind: 'reordered', seq: m.a };
    }
    case 'forge-tail': {
      const r = forged(N + 1, row(N).hash, m.salt);
      r.mac = m.copyMac ? row(N).mac : createHash('sha256').update(String(m.salt)).digest();
      insert(r);
      return { kind: 'inserted', seq: N + 1 };
    }
    case 'forge-middle': {
      const prev = m.seq === 1 ? Buffer.alloc(32) : row(m.seq - 1).hash;
      const r = forged(m.seq, prev, m.salt);
      r.mac = row(m.seq).mac;
      prep(db, 'UPDATE audit_events SET seq = seq + 1000000 WHERE tenant_id = ? AND seq >= ?').run(T1, m.seq);
      prep(db, 'UPDATE audit_events SET seq = seq - 999999 WHERE tenant_id = ? AND seq > 1000000').run(T1);
      insert(r);
      prep(db, 'UPDATE audit_heads SET seq = seq + 1 WHERE tenant_id = ?').run(T1);
      return { kind: 'inserted', seq: m.seq };
    }
    case 'truncate': {
      prep(db, 'DELETE FROM audit_events WHERE tenant_id = ? AND seq > ?').run(T1, m.keep);
      const last = m.keep === 0 ? Buffer.alloc(32) : row(m.keep).hash;
      prep(db, 'UPDATE audit_heads SET seq = ?, hash = ? WHERE tenant_id = ?').run(m.keep, last, T1);
      return { kind: 'truncated', seq: m.keep + 1 };
    }
    case 'resign': {
      let prev = m.seq === 1 ? Buffer.alloc(32) : row(m.seq - 1).hash;
      const last = m.rechain ? N : m.seq;
      for (let s = m.seq; s <= last; s++) {
        const r = row(s);
        if (s === m.seq) r.reason = `edited-${m.salt}`;
        r.prev_hash = prev;
        r.hash = sha(prev, r);
        r.mac = createHmac('sha256', WRONG_KEY).update(r.hash).digest();
        setCols(s, r);
        prev = r.hash;
      }
      return { kind: 'bad-signature', seq: m.seq };
    }
  }
}

/**
 * Registers the fuzz: `runs` mutations from `seed`. Split over two test files (two workers) that together
 * apply 10,000 mutations.
 */
export function tamperFuzz(runs: number, seed: number): void {
  const RUNS = Number(process.env.AX_TAMPER_RUNS ?? runs);
  describe(`tamper fuzz: ${RUNS} random mutations of a ${N}-event log (seed ${seed})`, () => {
    let f: Fixture;
    let checkpoint: PublishedCheckpoint;
    const original = new Map<number, RawRow>();

    beforeAll(async () => {
      f = await fixture({ pageSize: 100 }); // verification stops at the first break: read little past it
      const actions = ['role.assign', 'secret.read', 'user.login', 'tenant.update', 'backup.restore'];
      for (let i = 0; i < N; i += 100) {
        await f.log.appendBatch(
          ctxFor(T1),
          Array.from({ length: 100 }, (_, k) => ({
            action: actions[(i + k) % actions.length]!,
            outcome: (['success', 'failure', 'denied'] as const)[(i + k) % 3],
            resource: (i + k) % 4 === 0 ? null : `res-${i + k}`,
            resourceType: (i + k) % 5 === 0 ? null : 'thing',
            reason: (i + k) % 7 === 0 ? 'because “ünïcode” \n' : null,
            metadata: { n: i + k, tags: ['a', 'b'], nested: { ok: true } },
          })),
        );
        f.clock.advance(1000);
        await f.log.append(ctxFor(T2), { action: 'user.login' });
      }
      checkpoint = await f.log.checkpoint(T1);
      expect(await f.log.verify(T1, { checkpoint })).toMatchObject({
        ok: true,
        count: N,
      });
      const db = f.store.db;
      for (const t of ['audit_events_no_update', 'audit_events_no_delete', 'audit_heads_forward_only']) {
        db.exec(`DROP TRIGGER ${t}`); // the attacker's first step; verification must not depend on triggers
      }
      // Query indexes play no part in verification; dropping them keeps 10,000 raw rewrites fast.
      for (const i of ['action', 'actor', 'outcome', 'resource', 'time'])
        db.exec(`DROP INDEX audit_events_${i}`);
      for (const r of prep(db, 'SELECT * FROM audit_events WHERE tenant_id = ?').all(T1) as RawRow[]) {
        original.set(r.seq, r);
      }
    });
    afterAll(async () => {
      await f?.cleanup();
    });

    it('detects every mutation with the right kind and seq', async () => {
      const db = f.store.db;
      const tally: Record<string, number> = {};
      const row = (seq: number): RawRow => ({ ...original.get(seq)! });
      await fc.assert(
        fc.asyncProperty(mutationArb, async (m) => {
          db.exec('SAVEPOINT mutation');
          try {
            const expected = apply(db, m, row);
            const got = await f.log.verify(T1, { checkpoint });
            expect(got.ok).toBe(false);
            if (!got.ok) expect({ kind: got.kind, seq: got.seq }).toEqual(expected);
            // the other tenant's chain is untouched and still verifies
            tally[m.kind] = (tally[m.kind] ?? 0) + 1;
          } finally {
            db.exec('ROLLBACK TO mutation; RELEASE mutation');
          }
        }),
        { numRuns: RUNS, seed },
      );
      const total = Object.values(tally).reduce((a, b) => a + b, 0);
      console.log(`tamper fuzz: ${total}/${RUNS} mutations detected with the right kind and seq`, tally);
      expect(total).toBe(RUNS);
      expect(await f.log.verify(T1, { checkpoint })).toMatchObject({
        ok: true,
        count: N,
      });
      expect(await f.log.verify(T2)).toMatchObject({ ok: true, count: 10 });
    }, 600_000);
  });
}
