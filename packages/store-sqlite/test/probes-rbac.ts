import type { RoleAssignment, RoleRecord } from '@ax/core';
import type { RbacProbe } from '@ax/store-testkit';
import { sqliteProbe } from './probes.js';

/** Raw RBAC probes: hand-written SQL on an independent read-only connection. */
export function sqliteRbacProbe(filename: string): RbacProbe & ReturnType<typeof sqliteProbe> {
  const core = sqliteProbe(filename);
  const raw = core.raw;
  return {
    ...core,
    async roleRow(tenantId, name) {
      const r = raw
        .prepare('SELECT * FROM rbac_roles WHERE tenant_id = ? AND name = ?')
        .get(tenantId, name) as
        | {
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
        | undefined;
      if (!r) return null;
      const role: RoleRecord = {
        id: r.id,
        tenantId: r.tenant_id,
        name: r.name,
        description: r.description,
        permissions: JSON.parse(r.permissions),
        rules: JSON.parse(r.rules),
        extends: JSON.parse(r.extends),
        createdAt: r.created_at,
        updatedAt: r.updated_at,
      };
      return role;
    },
    async assignmentRows(tenantId, userId) {
      const rows = raw
        .prepare('SELECT * FROM rbac_assignments WHERE tenant_id = ? AND principal_id = ? ORDER BY role')
        .all(tenantId, userId) as {
        tenant_id: string;
        principal_id: string;
        role: string;
        granted_by: string;
        created_at: number;
      }[];
      return rows.map(
        (r): RoleAssignment => ({
          tenantId: r.tenant_id,
          userId: r.principal_id,
          role: r.role,
          grantedBy: r.granted_by,
          createdAt: r.created_at,
        }),
      );
    },
    async epochValue() {
      return (raw.prepare('SELECT epoch FROM rbac_epoch').get() as { epoch: number }).epoch;
    },
    async superAdminRow(userId) {
      return raw.prepare('SELECT 1 FROM rbac_super_admins WHERE user_id = ?').get(userId) !== undefined;
    },
  };
}
