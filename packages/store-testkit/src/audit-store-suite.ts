import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { AuditHead, AuditRow } from '@ax/core';
import { testId, withFixture } from './fixtures.js';
import type { StoreFactory, TestApi, TransactionalPorts } from './types.js';

/** Raw access to stored audit rows, bypassing the adapter's AuditStore code. */
export interface AuditProbe {
  /** Seqs stored for a tenant, ascending. */
  auditSeqs(tenantId: string): Promise<number[]>;
  /** A stored row as the adapter's storage holds it, mapped to the port shape, or null. */
  auditRow(tenantId: string, seq: number): Promise<AuditRow | null>;
  /**
   * Tries to change (`update`) or remove (`delete`) a stored row outside the retention path. Resolves
   * `'refused'` when storage enforced append-only, `'changed'` when the write went through.
   */
  tamper(tenantId: string, seq: number, how: 'update' | 'delete'): Promise<'refused' | 'changed'>;
}

const GENESIS = new Uint8Array(32);

function sealer(tenantId: string, n: number, over: Partial<AuditRow> = {}) {
  return (head: AuditHead): AuditRow[] => {
    let prev: Uint8Array = head.hash;
    return Array.from({ length: n }, (_, i) => {
      const seq = head.seq + 1 + i;
      const hash = createHash('sha256').update(prev).update(`${tenantId}:${seq}`).digest();
      const row: AuditRow = {
        id: testId('aud'),
        tenantId,
        seq,
        timestamp: Math.max(head.timestamp, 1_767_225_600_000 + seq * 1000),
        actorType: 'user',
        actorId: seq % 2 ? 'usr_odd' : 'usr_even',
        action: seq % 3 ? 'secret.read' : 'role.assign',
        resource: `res-${seq % 4}`,
        resourceType: seq % 5 ? 'secret' : null,
        outcome: seq % 7 ? 'success' : 'denied',
        reason: null,
        metadata: `{"seq":${seq}}`,
        ip: '198.51.100.1',
        userAgent: null,
        requestId: `req_${seq}`,
        prevHash: prev,
        hash,
        keyVersion: 1,
        mac: createHash('sha256').update(hash).digest(),
        ...over,
      };
      prev = row.hash;
      return row;
    });
  };
}

const bytes = (b: Uint8Array) => Buffer.from(b).toString('hex');
const norm = (r: AuditRow | null) =>
  r && { ...r, prevHash: bytes(r.prevHash), hash: bytes(r.hash), mac: bytes(r.mac) };

/** Conformance suite for the AuditStore port. */
export function auditStoreSuite(
  t: TestApi,
  make: StoreFactory<AuditProbe, TransactionalPorts<'audit'>>,
): void {
  const tenant = () => testId('tnt');
  t.describe('AuditStore conformance', () => {
    t.it('appends sealed rows after the head, stores them as given and moves the head', () =>
      withFixture(make, async ({ store, probe }) => {
        const a = tenant();
        const heads: AuditHead[] = [];
        const seal = sealer(a, 3);
        const rows = await store.audit.append(a, (h) => {
          heads.push(h);
          return seal(h);
        });
        assert.equal(heads[0]?.seq, 0);
        assert.deepEqual(bytes(heads[0]!.hash), bytes(GENESIS));
        assert.deepEqual(await probe.auditSeqs(a), [1, 2, 3]);
        for (const r of rows) assert.deepEqual(norm(await probe.auditRow(a, r.seq)), norm(r));
        const head = await store.audit.head(a);
        assert.equal(head.seq, 3);
        assert.equal(bytes(head.hash), bytes(rows[2]!.hash));
        await store.audit.append(a, sealer(a, 2));
        assert.deepEqual(await probe.auditSeqs(a), [1, 2, 3, 4, 5]);
        assert.equal(bytes((await probe.auditRow(a, 4))!.prevHash), bytes(rows[2]!.hash));
      }),
    );

    t.it('refuses rows that do not continue the head, writing nothing', () =>
      withFixture(make, async ({ store, probe }) => {
        const a = tenant();
        await store.audit.append(a, sealer(a, 2));
        const wrongSeq = (h: AuditHead) => sealer(a, 2)({ ...h, seq: h.seq + 1 });
        const wrongLink = (h: AuditHead) => sealer(a, 2)({ ...h, hash: new Uint8Array(32).fill(7) });
        const otherTenant = (h: AuditHead) => sealer(tenant(), 1)(h);
        for (const bad of [wrongSeq, wrongLink, otherTenant]) {
          await assert.rejects(store.audit.append(a, bad));
        }
        await assert.rejects(
          store.audit.append(a, () => {
            throw new Error('seal failed');
          }),
          /seal failed/,
        );
        assert.deepEqual(await probe.auditSeqs(a), [1, 2]);
        assert.equal((await store.audit.head(a)).seq, 2);
      }),
    );

    t.it('gives concurrent async appenders one gap-free chain per tenant', () =>
      withFixture(make, async ({ store, probe }) => {
        const a = tenant();
        const b = tenant();
        await Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            store.audit.append(i % 2 ? a : b, sealer(i % 2 ? a : b, 1 + (i % 3))),
          ),
        );
        for (const x of [a, b]) {
          const seqs = await probe.auditSeqs(x);
          assert.deepEqual(
            seqs,
            seqs.map((_, i) => i + 1),
          );
          for (const s of seqs.slice(1)) {
            const [prev, cur] = [await probe.auditRow(x, s - 1), await probe.auditRow(x, s)];
            assert.equal(bytes(cur!.prevHash), bytes(prev!.hash));
          }
        }
      }),
    );

    t.it('append inside a transaction rolls back with it', () =>
      withFixture(make, async ({ store, probe }) => {
        const a = tenant();
        await assert.rejects(
          store.transaction(async (tx) => {
            await tx.audit.append(a, sealer(a, 2));
            throw new Error('rollback');
          }),
          /rollback/,
        );
        assert.deepEqual(await probe.auditSeqs(a), []);
        assert.equal((await store.audit.head(a)).seq, 0);
      }),
    );

    t.it('reads ranges in pages and never another tenant’s rows', () =>
      withFixture(make, async ({ store }) => {
        const a = tenant();
        const b = tenant();
        await store.audit.append(a, sealer(a, 25));
        await store.audit.append(b, sealer(b, 5));
        const page = await store.audit.readRange(a, { fromSeq: 10, toSeq: 20, limit: 5 });
        assert.deepEqual(
          page.map((r) => r.seq),
          [10, 11, 12, 13, 14],
        );
        assert.ok(page.every((r) => r.tenantId === a));
        assert.equal((await store.audit.readRange(b, { fromSeq: 1, limit: 100 })).length, 5);
        assert.equal(await store.audit.getBySeq(b, 6), null);
        assert.equal((await store.audit.getBySeq(a, 25))?.seq, 25);
      }),
    );

    t.it('queries with filters, newest first, with a stable cursor, scoped to the tenant', () =>
      withFixture(make, async ({ store }) => {
        const a = tenant();
        const b = tenant();
        await store.audit.append(a, sealer(a, 30));
        await store.audit.append(b, sealer(b, 30));
        const seen: number[] = [];
        let cursor: string | undefined;
        do {
          const page = await store.audit.query({ tenantId: a, actionPrefix: 'secret.', limit: 4, cursor });
          for (const r of page.rows) {
            assert.equal(r.tenantId, a);
            assert.equal(r.action, 'secret.read');
          }
          seen.push(...page.rows.map((r) => r.seq));
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        const expected = Array.from({ length: 30 }, (_, i) => 30 - i).filter((s) => s % 3 !== 0);
        assert.deepEqual(seen, expected);
        const denied = await store.audit.query({
          tenantId: a,
          outcome: 'denied',
          actorId: 'usr_even',
          limit: 100,
        });
        assert.deepEqual(
          denied.rows.map((r) => r.seq),
          [28, 14],
        );
        const ts = (await store.audit.getBySeq(a, 10))!.timestamp;
        const timed = await store.audit.query({ tenantId: a, since: ts, until: ts + 3000, limit: 100 });
        assert.deepEqual(
          timed.rows.map((r) => r.seq),
          [12, 11, 10],
        );
        const all = await store.audit.query({ limit: 1000 });
        assert.equal(all.rows.length, 60);
        assert.equal(all.nextCursor, null);
      }),
    );

    t.it('prunes only a range covered by a verified archive, leaving the anchor', () =>
      withFixture(make, async ({ store, probe }) => {
        const a = tenant();
        const rows = await store.audit.append(a, sealer(a, 10));
        const anchor = {
          tenantId: a,
          seq: 6,
          hash: rows[5]!.hash,
          prunedAt: 5,
          keyVersion: 1,
          mac: new Uint8Array(32).fill(1),
        };
        await assert.rejects(store.audit.prune(anchor), { code: 'INTEGRITY' });
        await store.audit.recordArchive({
          tenantId: a,
          fromSeq: 1,
          toSeq: 6,
          lastHash: rows[4]!.hash, // wrong hash: still refused
          location: 'x',
          manifestMac: 'ab',
          verifiedAt: 1,
        });
        await assert.rejects(store.audit.prune(anchor), { code: 'INTEGRITY' });
        await store.audit.recordArchive({
          tenantId: a,
          fromSeq: 1,
          toSeq: 6,
          lastHash: rows[5]!.hash,
          location: 'x',
          manifestMac: 'ab',
          verifiedAt: 2,
        });
        assert.equal(await store.audit.prune(anchor), 6);
        assert.deepEqual(await probe.auditSeqs(a), [7, 8, 9, 10]);
        const stored = await store.audit.anchor(a);
        assert.equal(stored?.seq, 6);
        assert.equal(bytes(stored!.hash), bytes(rows[5]!.hash));
        assert.equal((await store.audit.head(a)).seq, 10);
      }),
    );

    t.it('stores checkpoints, retention policies, and answers lastSeqBefore and counts', () =>
      withFixture(make, async ({ store }) => {
        const a = tenant();
        const rows = await store.audit.append(a, sealer(a, 14));
        assert.equal(await store.audit.latestCheckpoint(a), null);
        for (const [seq, time] of [
          [3, 10],
          [9, 20],
        ] as const) {
          await store.audit.insertCheckpoint({
            tenantId: a,
            seq,
            headHash: rows[seq - 1]!.hash,
            time,
            keyVersion: 1,
            mac: new Uint8Array(32),
          });
        }
        assert.equal((await store.audit.latestCheckpoint(a))?.seq, 9);
        assert.equal(await store.audit.getRetention(a), null);
        await store.audit.setRetention({ tenantId: a, days: 30 });
        await store.audit.setRetention({ tenantId: a, days: 90 });
        assert.deepEqual(await store.audit.getRetention(a), { tenantId: a, days: 90 });
        assert.equal(await store.audit.lastSeqBefore(a, rows[4]!.timestamp), 4);
        assert.equal(await store.audit.lastSeqBefore(a, 0), 0);
        const c = await store.audit.counts(a, { since: 0, until: Number.MAX_SAFE_INTEGER });
        assert.deepEqual(c.byOutcome, { success: 12, denied: 2 });
        assert.equal(c.byAction['role.assign'], 4);
        assert.equal(c.byActor[0]?.count, 7);
      }),
    );

    t.it('storage refuses updates and deletes of audit rows outside retention', () =>
      withFixture(make, async ({ store, probe }) => {
        const a = tenant();
        await store.audit.append(a, sealer(a, 2));
        assert.equal(await probe.tamper(a, 1, 'update'), 'refused');
        assert.equal(await probe.tamper(a, 2, 'delete'), 'refused');
        assert.deepEqual(await probe.auditSeqs(a), [1, 2]);
      }),
    );
  });
}
