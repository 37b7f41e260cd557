import type { Migration } from '../migrate.js';

/**
 * Tenancy: per-tenant quota settings and usage, closed billing periods, idempotency records, soft-limit
 * threshold records, concurrency leases, and the table rate-limiter-flexible's SQLite store uses.
 * Everything hangs off `tenants` with ON DELETE CASCADE, so purging a tenant purges its quota data.
 */
export const tenancyMigration: Migration = {
  id: 4,
  name: 'tenancy',
  sql: `
CREATE TABLE ax_quotas (
  tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  quota TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('counter', 'periodic', 'concurrency')),
  enforcement TEXT NOT NULL CHECK (enforcement IN ('hard', 'soft')),
  quota_limit INTEGER NOT NULL,
  override_limit INTEGER,
  used INTEGER NOT NULL DEFAULT 0 CHECK (used >= 0),
  period_start INTEGER,
  period_end INTEGER,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, quota),
  CHECK ((kind = 'periodic') = (period_start IS NOT NULL AND period_end IS NOT NULL))
) STRICT, WITHOUT ROWID;

CREATE INDEX ax_quotas_period_end ON ax_quotas (period_end) WHERE period_end IS NOT NULL;

CREATE TABLE ax_quota_idempotency (
  tenant_id TEXT NOT NULL,
  quota TEXT NOT NULL,
  idem_key TEXT NOT NULL,
  amount INTEGER NOT NULL,
  used INTEGER NOT NULL,
  quota_limit INTEGER NOT NULL,
  enforcement TEXT NOT NULL,
  period_start INTEGER,
  period_end INTEGER,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, quota, idem_key),
  FOREIGN KEY (tenant_id, quota) REFERENCES ax_quotas (tenant_id, quota) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE INDEX ax_quota_idempotency_expires ON ax_quota_idempotency (expires_at);

CREATE TABLE ax_quota_periods (
  tenant_id TEXT NOT NULL,
  quota TEXT NOT NULL,
  period_start INTEGER NOT NULL,
  period_end INTEGER NOT NULL,
  used INTEGER NOT NULL,
  quota_limit INTEGER NOT NULL,
  closed_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, quota, period_start),
  FOREIGN KEY (tenant_id, quota) REFERENCES ax_quotas (tenant_id, quota) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE TABLE ax_quota_thresholds (
  tenant_id TEXT NOT NULL,
  quota TEXT NOT NULL,
  period_start INTEGER NOT NULL,
  threshold INTEGER NOT NULL,
  reached_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, quota, period_start, threshold),
  FOREIGN KEY (tenant_id, quota) REFERENCES ax_quotas (tenant_id, quota) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE TABLE ax_quota_leases (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  quota TEXT NOT NULL,
  holder TEXT,
  acquired_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  FOREIGN KEY (tenant_id, quota) REFERENCES ax_quotas (tenant_id, quota) ON DELETE CASCADE
) STRICT;

CREATE INDEX ax_quota_leases_slot ON ax_quota_leases (tenant_id, quota, expires_at);
CREATE INDEX ax_quota_leases_expires ON ax_quota_leases (expires_at);

-- The schema rate-limiter-flexible's RateLimiterSQLite expects (created here, so it never runs DDL itself).
CREATE TABLE ax_rate_limits (
  key TEXT PRIMARY KEY,
  points INTEGER NOT NULL DEFAULT 0,
  expire INTEGER
);
`,
};
