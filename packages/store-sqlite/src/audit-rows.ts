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

/**
 * Columns for chain reads (`readRange`): the tenant is known from the query, and the three chain blobs come
 * back as one blob with the first two lengths, split into views. One native Buffer per row instead of three
 * (better-sqlite3 copies each blob into its own Buffer), which is most of the cost of reading a row. Lengths
 * are read rather than assumed, so a blob edited to another length is split exactly as stored.
 */
export const AUDIT_CHAIN_READ_COLUMNS =
  'seq, id, timestamp, actor_type, actor_id, action, resource, resource_type, outcome, reason, metadata, ip, user_agent, request_id, key_version, length(prev_hash), length(hash), CAST(prev_hash || hash || mac AS BLOB)';

/** A row in {@link AUDIT_CHAIN_READ_COLUMNS} order. */
export type AuditChainRawRow = [
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
  number,
  number | null,
  number | null,
  Buffer | null,
];

const NONE = Buffer.alloc(0);

/** Maps a chain-read row (of `tenantId`) to the port's shape. */
export function chainReadToAuditRow(tenantId: string, r: AuditChainRawRow): AuditRow {
  const blob = r[17] ?? NONE;
  const a = r[15] ?? 0;
  const b = a + (r[16] ?? 0);
  return {
    tenantId,
    seq: r[0],
    id: r[1],
    timestamp: r[2],
    actorType: r[3],
    actorId: r[4],
    action: r[5],
    resource: r[6],
    resourceType: r[7],
    outcome: r[8],
    reason: r[9],
    metadata: r[10],
    ip: r[11],
    userAgent: r[12],
    requestId: r[13],
    prevHash: blob.subarray(0, a),
    hash: blob.subarray(a, b),
    keyVersion: r[14],
    mac: blob.subarray(b),
  };
}
