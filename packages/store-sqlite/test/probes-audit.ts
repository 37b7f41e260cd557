import type { AuditRow } from '@ax/core';
import type { AuditProbe } from '@ax/store-testkit';
import BetterSqlite3 from 'better-sqlite3';

interface Row {
  tenant_id: string;
  seq: number;
  id: string;
  timestamp: number;
  actor_type: AuditRow['actorType'];
  actor_id: string;
  action: string;
  resource: string | null;
  resource_type: string | null;
  outcome: AuditRow['outcome'];
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

/** Raw audit probe: a second connection with hand-written SQL, writable only to try tampering. */
export function sqliteAuditProbe(filename: string): AuditProbe & { raw: BetterSqlite3.Database } {
  const raw = new BetterSqlite3(filename);
  return {
    raw,
    async auditSeqs(tenantId) {
      return (
        raw.prepare('SELECT seq FROM audit_events WHERE tenant_id = ? ORDER BY seq').all(tenantId) as {
          seq: number;
        }[]
      ).map((r) => r.seq);
    },
    async auditRow(tenantId, seq) {
      const r = raw
        .prepare('SELECT * FROM audit_events WHERE tenant_id = ? AND seq = ?')
        .get(tenantId, seq) as Row | undefined;
      if (!r) return null;
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
        prevHash: r.prev_hash,
        hash: r.hash,
        keyVersion: r.key_version,
        mac: r.mac,
      };
    },
    async tamper(tenantId, seq, how) {
      try {
        const sql =
          how === 'update'
            ? "UPDATE audit_events SET reason = 'tampered' WHERE tenant_id = ? AND seq = ?"
            : 'DELETE FROM audit_events WHERE tenant_id = ? AND seq = ?';
        return raw.prepare(sql).run(tenantId, seq).changes > 0 ? 'changed' : 'refused';
      } catch {
        return 'refused';
      }
    },
  };
}
