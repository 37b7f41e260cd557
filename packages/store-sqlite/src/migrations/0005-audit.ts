import type { Migration } from '../migrate.js';

/**
 * Audit log: per-tenant hash chains, their heads, checkpoints, retention anchors, archives and policies.
 * Triggers make `audit_events` append-only: UPDATE always fails, DELETE only for rows the retention path
 * has opened in `audit_prune_guard` inside its own transaction. Someone who drops the triggers can still
 * edit rows; verification catches that from the hashes and MACs.
 */
export const auditMigration: Migration = {
  id: 5,
  name: 'audit',
  sql: `
CREATE TABLE audit_events (
  pos INTEGER PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  seq INTEGER NOT NULL CHECK (seq >= 1),
  id TEXT NOT NULL,
  timestamp INTEGER NOT NULL,
  actor_type TEXT NOT NULL,
  actor_id TEXT NOT NULL,
  action TEXT NOT NULL,
  resource TEXT,
  resource_type TEXT,
  outcome TEXT NOT NULL,
  reason TEXT,
  metadata TEXT NOT NULL,
  ip TEXT,
  user_agent TEXT,
  request_id TEXT,
  prev_hash BLOB NOT NULL,
  hash BLOB NOT NULL,
  key_version INTEGER NOT NULL,
  mac BLOB NOT NULL,
  UNIQUE (tenant_id, seq)
) STRICT;

CREATE INDEX audit_events_action ON audit_events (tenant_id, action, seq);
CREATE INDEX audit_events_actor ON audit_events (tenant_id, actor_id, seq);
CREATE INDEX audit_events_outcome ON audit_events (tenant_id, outcome, seq);
CREATE INDEX audit_events_resource ON audit_events (tenant_id, resource, seq);
CREATE INDEX audit_events_time ON audit_events (tenant_id, timestamp, seq);

CREATE TABLE audit_heads (
  tenant_id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL,
  hash BLOB NOT NULL,
  timestamp INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE audit_checkpoints (
  tenant_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  head_hash BLOB NOT NULL,
  time INTEGER NOT NULL,
  key_version INTEGER NOT NULL,
  mac BLOB NOT NULL,
  PRIMARY KEY (tenant_id, time, seq)
) STRICT;

CREATE TABLE audit_anchors (
  tenant_id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL,
  hash BLOB NOT NULL,
  pruned_at INTEGER NOT NULL,
  key_version INTEGER NOT NULL,
  mac BLOB NOT NULL
) STRICT;

CREATE TABLE audit_archives (
  tenant_id TEXT NOT NULL,
  from_seq INTEGER NOT NULL,
  to_seq INTEGER NOT NULL,
  last_hash BLOB NOT NULL,
  location TEXT NOT NULL,
  manifest_mac TEXT NOT NULL,
  verified_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, to_seq)
) STRICT;

CREATE TABLE audit_retention (
  tenant_id TEXT PRIMARY KEY,
  days INTEGER NOT NULL CHECK (days >= 1)
) STRICT;

CREATE TABLE audit_prune_guard (
  tenant_id TEXT PRIMARY KEY,
  through_seq INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
  SELECT RAISE(ABORT, 'audit_events is append-only');
END;

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
WHEN NOT EXISTS (
  SELECT 1 FROM audit_prune_guard g WHERE g.tenant_id = OLD.tenant_id AND OLD.seq <= g.through_seq
)
BEGIN
  SELECT RAISE(ABORT, 'audit_events rows are removed only by retention prune');
END;

CREATE TRIGGER audit_heads_forward_only BEFORE UPDATE ON audit_heads
WHEN NEW.seq < OLD.seq OR NEW.tenant_id <> OLD.tenant_id
BEGIN
  SELECT RAISE(ABORT, 'audit_heads only moves forward');
END;

CREATE TRIGGER audit_heads_no_delete BEFORE DELETE ON audit_heads
BEGIN
  SELECT RAISE(ABORT, 'audit_heads rows are never deleted');
END;
`,
};
