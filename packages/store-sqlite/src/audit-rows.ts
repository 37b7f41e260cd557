import type { AuditActorType, AuditOutcome, AuditRow } from '@ax/core';

/** Column list in insert order; shared with the query module. */
export const AUDIT_COLUMNS =
  'tenant_id, seq, id, timestamp, actor_type, actor_id, action, resource, resource_type, outcome, reason, metadata, ip, user_agent, request_id, prev_hash, hash, key_version, mac';

/** An `audit_events` row as better-sqlite3 returns it in raw (array) mode, in {@link AUDIT_COLUMNS} order. */
export type AuditRawRow = [
  string,
  number,
  string,
  number,
  AuditActorType,
  string,
  string,
  string | null,
  string | null,
  AuditOutcome,
  string | null,
  string,
  string | null,
  string | null,
  string | null,
  Buffer,
  Buffer,
  number,
  Buffer,
];

/** Maps a raw row to the port's shape. */
export function toAuditRow(r: AuditRawRow): AuditRow {
  return {
    tenantId: r[0],
    seq: r[1],
    id: r[2],
    timestamp: r[3],
    actorType: r[4],
    actorId: r[5],
    action: r[6],
    resource: r[7],
    resourceType: r[8],
    outcome: r[9],
    reason: r[10],
    metadata: r[11],
    ip: r[12],
    userAgent: r[13],
    requestId: r[14],
    prevHash: r[15],
    hash: r[16],
    keyVersion: r[17],
    mac: r[18],
  };
}
