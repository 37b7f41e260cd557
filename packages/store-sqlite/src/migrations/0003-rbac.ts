import type { Migration } from '../migrate.js';

/**
 * RBAC: custom roles per tenant, assignments per (tenant, user), the platform super-admin flag, and the policy
 * epoch. Triggers bump the epoch when a user's or tenant's status changes or one is purged, whichever code
 * makes the change, so permission caches in every process notice.
 */
export const rbacMigration: Migration = {
  id: 3,
  name: 'rbac',
  sql: `
CREATE TABLE rbac_epoch (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  epoch INTEGER NOT NULL
) STRICT;
INSERT INTO rbac_epoch (id, epoch) VALUES (1, 0);

CREATE TABLE rbac_roles (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  description TEXT,
  permissions TEXT NOT NULL CHECK (json_type(permissions) = 'array'),
  rules TEXT NOT NULL CHECK (json_type(rules) = 'array'),
  extends TEXT NOT NULL CHECK (json_type(extends) = 'array'),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (tenant_id, name)
) STRICT;

CREATE TABLE rbac_assignments (
  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role TEXT NOT NULL,
  granted_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, user_id, role)
) STRICT, WITHOUT ROWID;
CREATE INDEX rbac_assignments_by_role ON rbac_assignments (tenant_id, role);

CREATE TABLE rbac_super_admins (
  user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  granted_at INTEGER NOT NULL
) STRICT;

CREATE TRIGGER rbac_epoch_on_user_status AFTER UPDATE OF status ON users
  WHEN OLD.status IS NOT NEW.status
  BEGIN UPDATE rbac_epoch SET epoch = epoch + 1 WHERE id = 1; END;
CREATE TRIGGER rbac_epoch_on_user_purge AFTER DELETE ON users
  BEGIN UPDATE rbac_epoch SET epoch = epoch + 1 WHERE id = 1; END;
CREATE TRIGGER rbac_epoch_on_tenant_status AFTER UPDATE OF status ON tenants
  WHEN OLD.status IS NOT NEW.status
  BEGIN UPDATE rbac_epoch SET epoch = epoch + 1 WHERE id = 1; END;
CREATE TRIGGER rbac_epoch_on_tenant_purge AFTER DELETE ON tenants
  BEGIN UPDATE rbac_epoch SET epoch = epoch + 1 WHERE id = 1; END;
`,
};
