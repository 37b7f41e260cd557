import {
  type AuditActorType,
  type AuditAnchor,
  type AuditArchive,
  type AuditCheckpoint,
  type AuditHead,
  type AuditRetentionPolicy,
  type AuditRow,
  type AuditStore,
  IntegrityError,
} from '@ax/core';
import type { Database } from 'better-sqlite3';
import { sqliteAuditQuery } from './audit-query.js';
import { AUDIT_COLUMNS, type AuditRawRow, toAuditRow } from './audit-rows.js';

interface CheckpointRow {
  tenant_id: string;
  seq: number;
  head_hash: Buffer;
  time: number;
  key_version: number;
  mac: Buffer;
}

interface AnchorRow {
  tenant_id: string;
  seq: number;
  hash: Buffer;
  pruned_at: number;
  key_version: number;
  mac: Buffer;
}

const GENESIS = new Uint8Array(32);

function eq(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

// Statements are prepared on first use, so a store opened on a database without this migration (adapter
// tests that pin older migrations) still opens.
function prepareStatements(db: Database) {
  const insert = db.prepare(
    `INSERT INTO audit_events (${AUDIT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const headGet = db.prepare('SELECT seq, hash, timestamp FROM audit_heads WHERE tenant_id = ?').raw();
  const headInsert = db.prepare(
    'INSERT INTO audit_heads (tenant_id, seq, hash, timestamp) VALUES (?, ?, ?, ?)',
  );
  const headUpdate = db.prepare(
    'UPDATE audit_heads SET seq = ?, hash = ?, timestamp = ? WHERE tenant_id = ?',
  );
  const range = db
    .prepare(
      `SELECT ${AUDIT_COLUMNS} FROM audit_events WHERE tenant_id = ? AND seq >= ? AND seq <= ? ORDER BY seq LIMIT ?`,
    )
    .raw();
  const bySeq = db.prepare(`SELECT ${AUDIT_COLUMNS} FROM audit_events WHERE tenant_id = ? AND seq = ?`).raw();
  const lastBefore = db.prepare(
    'SELECT max(seq) AS seq FROM audit_events WHERE tenant_id = ? AND timestamp < ?',
  );
  const minSeq = db.prepare('SELECT min(seq) AS seq FROM audit_events WHERE tenant_id = ?');
  const cpInsert = db.prepare(
    'INSERT OR REPLACE INTO audit_checkpoints (tenant_id, seq, head_hash, time, key_version, mac) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const cpLatest = db.prepare(
    'SELECT * FROM audit_checkpoints WHERE tenant_id = ? ORDER BY time DESC, seq DESC LIMIT 1',
  );
  const anchorGet = db.prepare('SELECT * FROM audit_anchors WHERE tenant_id = ?');
  const anchorPut = db.prepare(
    `INSERT INTO audit_anchors (tenant_id, seq, hash, pruned_at, key_version, mac) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (tenant_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, pruned_at = excluded.pruned_at,
         key_version = excluded.key_version, mac = excluded.mac`,
  );
  const archiveInsert = db.prepare(
    `INSERT OR REPLACE INTO audit_archives (tenant_id, from_seq, to_seq, last_hash, location, manifest_mac, verified_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const archiveCovering = db.prepare(
    'SELECT * FROM audit_archives WHERE tenant_id = ? AND to_seq = ? AND from_seq <= ? ORDER BY verified_at DESC LIMIT 1',
  );
  const guardOpen = db.prepare('INSERT INTO audit_prune_guard (tenant_id, through_seq) VALUES (?, ?)');
  const guardClose = db.prepare('DELETE FROM audit_prune_guard WHERE tenant_id = ?');
  const pruneRows = db.prepare('DELETE FROM audit_events WHERE tenant_id = ? AND seq <= ?');
  const retentionPut = db.prepare(
    'INSERT INTO audit_retention (tenant_id, days) VALUES (?, ?) ON CONFLICT (tenant_id) DO UPDATE SET days = excluded.days',
  );
  const retentionGet = db.prepare('SELECT days FROM audit_retention WHERE tenant_id = ?');
  const countAction = db.prepare(
    'SELECT action AS k, count(*) AS n FROM audit_events WHERE tenant_id = ? AND timestamp >= ? AND timestamp < ? GROUP BY action',
  );
  const countOutcome = db.prepare(
    'SELECT outcome AS k, count(*) AS n FROM audit_events WHERE tenant_id = ? AND timestamp >= ? AND timestamp < ? GROUP BY outcome',
  );
  const countActor = db.prepare(
    `SELECT actor_type AS t, actor_id AS a, count(*) AS n FROM audit_events
       WHERE tenant_id = ? AND timestamp >= ? AND timestamp < ? GROUP BY actor_type, actor_id ORDER BY n DESC, a LIMIT 20`,
  );

  return {
    insert,
    headGet,
    headInsert,
    headUpdate,
    range,
    bySeq,
    lastBefore,
    minSeq,
    cpInsert,
    cpLatest,
    anchorGet,
    anchorPut,
    archiveInsert,
    archiveCovering,
    guardOpen,
    guardClose,
    pruneRows,
    retentionPut,
    retentionGet,
    countAction,
    countOutcome,
    countActor,
  };
}

/** AuditStore on one better-sqlite3 connection. Writes run in (nested-safe) IMMEDIATE transactions. */
export function sqliteAuditStore(db: Database): AuditStore {
  let prepared: ReturnType<typeof prepareStatements> | undefined;
  const S = () => (prepared ??= prepareStatements(db));

  function readHead(tenantId: string): AuditHead {
    const r = S().headGet.get(tenantId) as [number, Buffer, number] | undefined;
    return r
      ? { tenantId, seq: r[0], hash: r[1], timestamp: r[2] }
      : { tenantId, seq: 0, hash: GENESIS, timestamp: 0 };
  }

  const appendTx = db.transaction((tenantId: string, seal: (head: AuditHead) => AuditRow[]) => {
    const head = readHead(tenantId);
    const rows = seal(head);
    let seq = head.seq;
    let prev: Uint8Array = head.hash;
    let ts = head.timestamp;
    for (const row of rows) {
      if (row.tenantId !== tenantId || row.seq !== seq + 1 || !eq(row.prevHash, prev) || row.timestamp < ts) {
        throw new IntegrityError('sealed audit rows do not continue the chain head', {
          details: { tenantId, headSeq: head.seq, seq: row.seq },
        });
      }
      S().insert.run(
        row.tenantId,
        row.seq,
        row.id,
        row.timestamp,
        row.actorType,
        row.actorId,
        row.action,
        row.resource,
        row.resourceType,
        row.outcome,
        row.reason,
        row.metadata,
        row.ip,
        row.userAgent,
        row.requestId,
        row.prevHash,
        row.hash,
        row.keyVersion,
        row.mac,
      );
      seq = row.seq;
      prev = row.hash;
      ts = row.timestamp;
    }
    if (rows.length > 0) {
      const stored = S().headUpdate.run(seq, prev, ts, tenantId).changes > 0;
      if (!stored) S().headInsert.run(tenantId, seq, prev, ts);
    }
    return rows;
  });

  const pruneTx = db.transaction((a: AuditAnchor): number => {
    const first = (S().minSeq.get(a.tenantId) as { seq: number | null }).seq;
    const target = S().bySeq.get(a.tenantId, a.seq) as AuditRawRow | undefined;
    if (first === null || !target) {
      throw new IntegrityError(`nothing to prune through seq ${a.seq}`, {
        details: { tenantId: a.tenantId, seq: a.seq },
      });
    }
    const archive = S().archiveCovering.get(a.tenantId, a.seq, first) as { last_hash: Buffer } | undefined;
    if (!archive || !eq(archive.last_hash, target[16]) || !eq(a.hash, target[16])) {
      throw new IntegrityError(
        `refusing to prune seq ${first}..${a.seq}: no verified archive covers that range with a matching hash`,
        { details: { tenantId: a.tenantId, fromSeq: first, toSeq: a.seq } },
      );
    }
    S().guardOpen.run(a.tenantId, a.seq);
    const removed = S().pruneRows.run(a.tenantId, a.seq).changes;
    S().guardClose.run(a.tenantId);
    S().anchorPut.run(a.tenantId, a.seq, a.hash, a.prunedAt, a.keyVersion, a.mac);
    return removed;
  });

  const toCheckpoint = (r: CheckpointRow): AuditCheckpoint => ({
    tenantId: r.tenant_id,
    seq: r.seq,
    headHash: r.head_hash,
    time: r.time,
    keyVersion: r.key_version,
    mac: r.mac,
  });

  return {
    async append(tenantId, seal) {
      return appendTx.immediate(tenantId, seal);
    },
    async head(tenantId) {
      return readHead(tenantId);
    },
    async readRange(tenantId, r) {
      const rows = S().range.all(
        tenantId,
        r.fromSeq,
        r.toSeq ?? Number.MAX_SAFE_INTEGER,
        r.limit,
      ) as AuditRawRow[];
      return rows.map(toAuditRow);
    },
    async getBySeq(tenantId, seq) {
      const r = S().bySeq.get(tenantId, seq) as AuditRawRow | undefined;
      return r ? toAuditRow(r) : null;
    },
    query: sqliteAuditQuery(db),
    async lastSeqBefore(tenantId, timestamp) {
      return (S().lastBefore.get(tenantId, timestamp) as { seq: number | null }).seq ?? 0;
    },
    async counts(tenantId, { since, until }) {
      const byAction: Record<string, number> = {};
      for (const r of S().countAction.all(tenantId, since, until) as { k: string; n: number }[])
        byAction[r.k] = r.n;
      const byOutcome: Record<string, number> = {};
      for (const r of S().countOutcome.all(tenantId, since, until) as { k: string; n: number }[]) {
        byOutcome[r.k] = r.n;
      }
      const byActor = (
        S().countActor.all(tenantId, since, until) as { t: AuditActorType; a: string; n: number }[]
      ).map((r) => ({ actorType: r.t, actorId: r.a, count: r.n }));
      return { byAction, byOutcome, byActor };
    },
    async insertCheckpoint(cp) {
      S().cpInsert.run(cp.tenantId, cp.seq, cp.headHash, cp.time, cp.keyVersion, cp.mac);
    },
    async latestCheckpoint(tenantId) {
      const r = S().cpLatest.get(tenantId) as CheckpointRow | undefined;
      return r ? toCheckpoint(r) : null;
    },
    async anchor(tenantId) {
      const r = S().anchorGet.get(tenantId) as AnchorRow | undefined;
      return r
        ? {
            tenantId: r.tenant_id,
            seq: r.seq,
            hash: r.hash,
            prunedAt: r.pruned_at,
            keyVersion: r.key_version,
            mac: r.mac,
          }
        : null;
    },
    async recordArchive(a: AuditArchive) {
      S().archiveInsert.run(
        a.tenantId,
        a.fromSeq,
        a.toSeq,
        a.lastHash,
        a.location,
        a.manifestMac,
        a.verifiedAt,
      );
    },
    async prune(anchor) {
      return pruneTx.immediate(anchor);
    },
    async setRetention(p: AuditRetentionPolicy) {
      S().retentionPut.run(p.tenantId, p.days);
    },
    async getRetention(tenantId) {
      const r = S().retentionGet.get(tenantId) as { days: number } | undefined;
      return r ? { tenantId, days: r.days } : null;
    },
  };
}
