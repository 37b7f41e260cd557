import type { Migration } from '../migrate.js';

/**
 * RBAC assignments keyed by principal: a user (`usr_…`) or an API key (`key_…`), which holds roles in its tenant
 * exactly as a user does. 0003 keyed them by `user_id REFERENCES users(id)`, which refused every key.
 *
 * `principal_id` is the key of the row (the PRIMARY KEY stays (tenant, principal, role)). `user_id` is generated
 * from it: the principal for a user, NULL for an API key. The foreign key sits on that column, so for users it
 * still refuses an assignment to a missing user and a purged user's assignments go with it (ON DELETE CASCADE),
 * while a key (NULL, which a foreign key never checks) needs no users row. Chosen over a trigger because the
 * declarative key also guards inserts and cannot be bypassed by a path that forgets a trigger's condition, and over
 * a separate `principal_type` column because a column written by the adapter could disagree with the id, while a
 * generated one cannot. GLOB, not LIKE: it is case-sensitive and `_` is literal. When API keys get a table, a
 * later migration can add a generated `api_key_id` column with its own foreign key the same way.
 *
 * SQLite cannot change a column's foreign key in place, so the table is rebuilt (nothing references it).
 */
export const rbacPrincipalsMigration: Migration = {
  id: 8,
  name: 'rbac-principals',
  sql: `
CREATE TABLE rbac_assignments_v8 (
  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  principal_id TEXT NOT NULL,
  user_id TEXT GENERATED ALWAYS AS (CASE WHEN principal_id GLOB 'key_*' THEN NULL ELSE principal_id END) STORED
    REFERENCES users(id) ON DELETE CASCADE,
  role TEXT NOT NULL,
  granted_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, principal_id, role)
) STRICT, WITHOUT ROWID;
INSERT INTO rbac_assignments_v8 (tenant_id, principal_id, role, granted_by, created_at)
  SELECT tenant_id, user_id, role, granted_by, created_at FROM rbac_assignments;
DROP TABLE rbac_assignments;
ALTER TABLE rbac_assignments_v8 RENAME TO rbac_assignments;
CREATE INDEX rbac_assignments_by_role ON rbac_assignments (tenant_id, role);
-- the cascade of a user purge finds the user's rows by this index, not by a scan
CREATE INDEX rbac_assignments_by_user ON rbac_assignments (user_id);
`,
};
