/** Who an audit event says acted. Not a foreign key: unknown actors (a failed login) are recorded too. */
export type AuditActorType = 'user' | 'apiKey' | 'system';

/** How the audited operation ended. */
export type AuditOutcome = 'success' | 'failure' | 'denied';

/**
 * One audit event as stored: the event fields, then its place in the tenant's hash chain.
 * `metadata` is the canonical JSON text of the (already redacted) metadata, stored byte for byte as hashed.
 */
export interface AuditRow {
  id: string;
  tenantId: string;
  /** Position in the tenant's chain: 1, 2, 3, … with no gaps. */
  seq: number;
  /** Milliseconds since the epoch; never decreases along one tenant's chain. */
  timestamp: number;
  actorType: AuditActorType;
  actorId: string;
  action: string;
  resource: string | null;
  resourceType: string | null;
  outcome: AuditOutcome;
  reason: string | null;
  metadata: string;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  /** Hash of the previous event (32 zero bytes before seq 1). */
  prevHash: Uint8Array;
  /** SHA-256(prevHash ‖ canonical JSON of the event). */
  hash: Uint8Array;
  /** Version of the MAC key that signed `hash`. */
  keyVersion: number;
  /** HMAC-SHA256 of `hash`. */
  mac: Uint8Array;
}

/** The end of a tenant's chain: seq 0 and the genesis hash when it has no event yet. */
export interface AuditHead {
  tenantId: string;
  seq: number;
  hash: Uint8Array;
  /** Timestamp of the last event (0 when none): new events never get an earlier one. */
  timestamp: number;
}

/** A signed statement of a tenant's head at a time, kept in storage and published elsewhere. */
export interface AuditCheckpoint {
  tenantId: string;
  seq: number;
  headHash: Uint8Array;
  time: number;
  keyVersion: number;
  mac: Uint8Array;
}

/**
 * Left behind by retention: the last pruned seq and its hash, signed, so the remaining chain verifies
 * from `seq + 1` with `hash` as its previous hash.
 */
export interface AuditAnchor {
  tenantId: string;
  seq: number;
  hash: Uint8Array;
  prunedAt: number;
  keyVersion: number;
  mac: Uint8Array;
}

/** An archive of a seq range that was exported and verified; pruning requires one covering the range. */
export interface AuditArchive {
  tenantId: string;
  fromSeq: number;
  toSeq: number;
  /** Hash of the event at `toSeq`, as verified in the archive. */
  lastHash: Uint8Array;
  /** Where the archive file went (path or URL), for people. */
  location: string;
  /** Hex HMAC of the archive's manifest. */
  manifestMac: string;
  verifiedAt: number;
}

/** Filters for {@link AuditStore.query}. Every filter is optional except where noted by the caller. */
export interface AuditQueryFilter {
  /** One tenant; omitted only for platform-level queries across tenants. */
  tenantId?: string;
  actorId?: string;
  actorType?: AuditActorType;
  /** Exact action. */
  action?: string;
  /** Action prefix, e.g. `role.` (matched literally, not as a pattern). */
  actionPrefix?: string;
  resource?: string;
  resourceType?: string;
  outcome?: AuditOutcome;
  /** Inclusive lower bound on `timestamp`. */
  since?: number;
  /** Exclusive upper bound on `timestamp`. */
  until?: number;
  /** Opaque cursor from the previous page's `nextCursor`. */
  cursor?: string;
  /** Page size. */
  limit: number;
}

/** A page of query results, newest first; `nextCursor` is null on the last page. */
export interface AuditQueryPage {
  rows: AuditRow[];
  nextCursor: string | null;
}

/** A tenant's retention policy: events older than `days` are archived, then pruned. */
export interface AuditRetentionPolicy {
  tenantId: string;
  days: number;
}

/**
 * Storage port for the audit log. Append-only: rows leave only through {@link AuditStore.prune}, which
 * refuses ranges not covered by a verified archive.
 */
export interface AuditStore {
  /**
   * Appends events to the end of a tenant's chain atomically. Within the adapter's write transaction it
   * reads the head, calls `seal(head)` (synchronous: hashes and signs the rows for seq head.seq+1, …),
   * inserts what `seal` returns and moves the head. Concurrent callers and processes get one gap-free chain.
   * Rejects (writing nothing) when the sealed rows do not continue the head.
   */
  append(tenantId: string, seal: (head: AuditHead) => AuditRow[]): Promise<AuditRow[]>;
  /** The tenant's head (seq 0, genesis hash, timestamp 0 when it has no event). */
  head(tenantId: string): Promise<AuditHead>;
  /** Rows with `fromSeq <= seq <= toSeq` in seq order, at most `limit`: the unit of streaming reads. */
  readRange(tenantId: string, range: { fromSeq: number; toSeq?: number; limit: number }): Promise<AuditRow[]>;
  /** One row by seq, or null. */
  getBySeq(tenantId: string, seq: number): Promise<AuditRow | null>;
  /** Indexed, filtered query, newest first, with a stable cursor. */
  query(filter: AuditQueryFilter): Promise<AuditQueryPage>;
  /** Highest seq whose timestamp is before `timestamp` (0 when none). */
  lastSeqBefore(tenantId: string, timestamp: number): Promise<number>;
  /** Counts for reports over `since <= timestamp < until`. */
  counts(
    tenantId: string,
    range: { since: number; until: number },
  ): Promise<{
    byAction: Record<string, number>;
    byOutcome: Record<string, number>;
    byActor: { actorType: AuditActorType; actorId: string; count: number }[];
  }>;
  insertCheckpoint(cp: AuditCheckpoint): Promise<void>;
  /** The newest checkpoint of a tenant, or null. */
  latestCheckpoint(tenantId: string): Promise<AuditCheckpoint | null>;
  /** The retention anchor of a tenant, or null when nothing was ever pruned. */
  anchor(tenantId: string): Promise<AuditAnchor | null>;
  /** Records a verified archive. */
  recordArchive(archive: AuditArchive): Promise<void>;
  /**
   * Removes rows with seq <= `anchor.seq` and stores `anchor`, atomically. Rejects with IntegrityError
   * (removing nothing) unless a recorded archive covers every remaining row in that range and its
   * `lastHash` and the anchor's hash equal the stored hash at `anchor.seq`. Returns the rows removed.
   */
  prune(anchor: AuditAnchor): Promise<number>;
  setRetention(policy: AuditRetentionPolicy): Promise<void>;
  getRetention(tenantId: string): Promise<AuditRetentionPolicy | null>;
}
