import type { PolicySnapshot, RbacStore, RoleAssignment, RolePatch, RoleRecord, StoredRule } from '@ax/core';
import type { Database } from 'better-sqlite3';
import { lazyStatement } from './lazy-statement.js';
import { mapSqliteError } from './sqlite-errors.js';
import { type TenantRow, toTenant } from './tenants.js';
import { toUser, type UserRow } from './users.js';

interface RoleRow {
  id: string;
  tenant_id: string;
  name: string;
  description: string | null;
  permissions: string;
  rules: string;
  extends: string;
  created_at: number;
  updated_at: number;
}

interface AssignmentRow {
  tenant_id: string;
  principal_id: string;
  role: string;
  granted_by: string;
  created_at: number;
}

function toRole(r: RoleRow): RoleRecord {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    name: r.name,
    description: r.description,
    permissions: JSON.parse(r.permissions) as string[],
    rules: JSON.parse(r.rules) as StoredRule[],
    extends: JSON.parse(r.extends) as string[],
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function toAssignment(r: AssignmentRow): RoleAssignment {
  return {
    tenantId: r.tenant_id,
    userId: r.principal_id,
    role: r.role,
    grantedBy: r.granted_by,
    createdAt: r.created_at,
  };
}

/**
 * RbacStore on one better-sqlite3 connection. Each write and its epoch bump run in one transaction (a
 * savepoint when the caller already holds one), so no reader ever sees a change without the new epoch.
 */
export function sqliteRbacStore(db: Database): RbacStore {
  // Prepared on first use, so a store opened with fewer migrations (adapter tests) does not fail here.
  const lazy = (sql: string, pluck = false) => lazyStatement(db, sql, { pluck });
  const bump = lazy('UPDATE rbac_epoch SET epoch = epoch + 1 WHERE id = 1 RETURNING epoch');
  const readEpoch = lazy('SELECT epoch FROM rbac_epoch WHERE id = 1', true);
  const insertRole = lazy(
    `INSERT INTO rbac_roles (id, tenant_id, name, description, permissions, rules, extends, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const roleByName = lazy('SELECT * FROM rbac_roles WHERE tenant_id = ? AND name = ?');
  const rolesOfTenant = lazy('SELECT * FROM rbac_roles WHERE tenant_id = ? ORDER BY name');
  const updateRole = lazy(
    `UPDATE rbac_roles SET description = ?, permissions = ?, rules = ?, extends = ?, updated_at = ?
     WHERE tenant_id = ? AND name = ? RETURNING *`,
  );
  const deleteRole = lazy('DELETE FROM rbac_roles WHERE tenant_id = ? AND name = ?');
  const deleteAssignmentsOfRole = lazy('DELETE FROM rbac_assignments WHERE tenant_id = ? AND role = ?');
  const insertAssignment = lazy(
    `INSERT INTO rbac_assignments (tenant_id, principal_id, role, granted_by, created_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT DO NOTHING`,
  );
  const deleteAssignment = lazy(
    'DELETE FROM rbac_assignments WHERE tenant_id = ? AND principal_id = ? AND role = ?',
  );
  // Principals are users or API keys (`principal_id`; `user_id` is its generated user-only copy, see 0008).
  const assignmentColumns = 'tenant_id, principal_id, role, granted_by, created_at';
  const assignmentsOfTenant = lazy(
    `SELECT ${assignmentColumns} FROM rbac_assignments WHERE tenant_id = ? ORDER BY principal_id, role`,
  );
  const assignmentsOfUser = lazy(
    `SELECT ${assignmentColumns} FROM rbac_assignments WHERE tenant_id = ? AND principal_id = ? ORDER BY role`,
  );
  const grantSuper = lazy(
    'INSERT INTO rbac_super_admins (user_id, granted_at) VALUES (?, ?) ON CONFLICT DO NOTHING',
  );
  const revokeSuper = lazy('DELETE FROM rbac_super_admins WHERE user_id = ?');
  const supers = lazy('SELECT user_id FROM rbac_super_admins ORDER BY user_id', true);

  // Runs `fn` atomically: IMMEDIATE when on its own, a savepoint inside a caller's transaction.
  const write = <T>(fn: () => T): T => {
    const tx = db.transaction(fn);
    return db.inTransaction ? tx() : tx.immediate();
  };
  const bumped = (): number => (bump().get() as { epoch: number }).epoch;

  // One statement reads the epoch with everything but the roles; the roles (followed through `extends`, each
  // once, so cycles end) are point reads after it. All of them run in one read transaction, so they see one
  // state of the database: without it another process could commit between the statements, and a user could
  // get the roles it held at one epoch with the definitions of a later one (a set that never existed).
  const header = lazy(`
    SELECT e.epoch AS epoch,
      t.id AS t_id, t.slug AS t_slug, t.name AS t_name, t.plan AS t_plan, t.status AS t_status,
      t.status_reason AS t_status_reason, t.billing_anchor_day AS t_billing_anchor_day,
      t.created_at AS t_created_at, t.updated_at AS t_updated_at,
      u.id AS u_id, u.email AS u_email, u.status AS u_status, u.created_at AS u_created_at,
      u.updated_at AS u_updated_at,
      EXISTS (SELECT 1 FROM rbac_super_admins s WHERE s.user_id = @userId) AS super_admin,
      (SELECT json_group_array(a.role) FROM rbac_assignments a
        WHERE a.tenant_id = @tenantId AND a.principal_id = @userId) AS assigned
    FROM rbac_epoch e
    LEFT JOIN tenants t ON t.id = @tenantId
    LEFT JOIN users u ON u.id = @userId
    WHERE e.id = 1`);

  const snapshot = (tenantId: string, userId: string): PolicySnapshot => {
    const h = header().get({ tenantId, userId }) as {
      epoch: number;
      super_admin: number;
      assigned: string;
      t_id: string | null;
      u_id: string | null;
      [column: string]: unknown;
    };
    const pick = (prefix: string) =>
      Object.fromEntries(
        Object.entries(h)
          .filter(([k]) => k.startsWith(prefix))
          .map(([k, v]) => [k.slice(prefix.length), v]),
      );
    const assigned = (JSON.parse(h.assigned) as string[]).sort();
    // Every role of the tenant with its edges: walking the hierarchy is the domain's business (@ax/rbac).
    const roles = (rolesOfTenant().all(tenantId) as RoleRow[]).map(toRole);
    return {
      epoch: h.epoch,
      tenant: h.t_id === null ? null : toTenant(pick('t_') as unknown as TenantRow),
      user: h.u_id === null ? null : toUser(pick('u_') as unknown as UserRow),
      superAdmin: h.super_admin === 1,
      assigned,
      roles,
    };
  };

  // DEFERRED: a read transaction (a savepoint inside a caller's transaction); in WAL it never blocks writers.
  const readSnapshot = db.transaction(snapshot);

  return {
    async insertRole(role: RoleRecord) {
      try {
        write(() => {
          insertRole().run(
            role.id,
            role.tenantId,
            role.name,
            role.description,
            JSON.stringify(role.permissions),
            JSON.stringify(role.rules),
            JSON.stringify(role.extends),
            role.createdAt,
            role.updatedAt,
          );
          bumped();
        });
      } catch (err) {
        throw mapSqliteError(err, `role ${role.name}`);
      }
    },
    async getRole(tenantId, name) {
      const row = roleByName().get(tenantId, name) as RoleRow | undefined;
      return row ? toRole(row) : null;
    },
    async listRoles(tenantId) {
      return (rolesOfTenant().all(tenantId) as RoleRow[]).map(toRole);
    },
    async updateRole(tenantId: string, name: string, patch: RolePatch) {
      return write(() => {
        const current = roleByName().get(tenantId, name) as RoleRow | undefined;
        if (!current) return null;
        const row = updateRole().get(
          patch.description === undefined ? current.description : patch.description,
          patch.permissions === undefined ? current.permissions : JSON.stringify(patch.permissions),
          patch.rules === undefined ? current.rules : JSON.stringify(patch.rules),
          patch.extends === undefined ? current.extends : JSON.stringify(patch.extends),
          patch.updatedAt,
          tenantId,
          name,
        ) as RoleRow;
        bumped();
        return toRole(row);
      });
    },
    async deleteRole(tenantId, name) {
      return write(() => {
        if (deleteRole().run(tenantId, name).changes === 0) return false;
        deleteAssignmentsOfRole().run(tenantId, name);
        bumped();
        return true;
      });
    },
    async assign(a: RoleAssignment) {
      return write(() => {
        if (insertAssignment().run(a.tenantId, a.userId, a.role, a.grantedBy, a.createdAt).changes === 0) {
          return false;
        }
        bumped();
        return true;
      });
    },
    async revoke(tenantId, userId, role) {
      return write(() => {
        if (deleteAssignment().run(tenantId, userId, role).changes === 0) return false;
        bumped();
        return true;
      });
    },
    async listAssignments(filter) {
      const rows = (
        filter.userId === undefined
          ? assignmentsOfTenant().all(filter.tenantId)
          : assignmentsOfUser().all(filter.tenantId, filter.userId)
      ) as AssignmentRow[];
      return rows.map(toAssignment);
    },
    async setSuperAdmin(userId, superAdmin, at) {
      write(() => {
        const changes = superAdmin ? grantSuper().run(userId, at).changes : revokeSuper().run(userId).changes;
        if (changes > 0) bumped();
      });
    },
    async listSuperAdmins() {
      return supers().all() as string[];
    },
    async bumpEpoch() {
      return write(bumped);
    },
    async epoch() {
      return readEpoch().get() as number;
    },
    async loadPolicy(tenantId, userId) {
      return readSnapshot(tenantId, userId);
    },
  };
}
