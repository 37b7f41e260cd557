import type { PageRequest, Tenant, TenantPatch, TenantStatus, TenantStore } from '@ax/core';
import type { Database } from 'better-sqlite3';
import { PatchStatements } from './patch-statement.js';
import { mapSqliteError } from './sqlite-errors.js';

export interface TenantRow {
  id: string;
  slug: string;
  name: string;
  plan: string;
  status: TenantStatus;
  status_reason: string | null;
  billing_anchor_day: number | null;
  created_at: number;
  updated_at: number;
}

export function toTenant(r: TenantRow): Tenant {
  return {
    id: r.id,
    slug: r.slug,
    name: r.name,
    plan: r.plan,
    status: r.status,
    statusReason: r.status_reason,
    billingAnchorDay: r.billing_anchor_day,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** TenantStore on one better-sqlite3 connection. Statements are prepared once. */
export function sqliteTenantStore(db: Database): TenantStore {
  const insert = db.prepare(
    `INSERT INTO tenants (id, slug, name, plan, status, status_reason, billing_anchor_day, created_at, updated_at)
     VALUES (@id, @slug, @name, @plan, @status, @statusReason, @billingAnchorDay, @createdAt, @updatedAt)`,
  );
  const byId = db.prepare('SELECT * FROM tenants WHERE id = ?');
  const bySlug = db.prepare('SELECT * FROM tenants WHERE slug = ?');
  const page = db.prepare('SELECT * FROM tenants WHERE id > ? ORDER BY id LIMIT ?');
  const purge = db.prepare('DELETE FROM tenants WHERE id = ?');
  const patch = new PatchStatements(db, 'tenants', {
    name: 'name',
    plan: 'plan',
    status: 'status',
    statusReason: 'status_reason',
    billingAnchorDay: 'billing_anchor_day',
    updatedAt: 'updated_at',
  });

  return {
    async insert(tenant: Tenant) {
      try {
        insert.run(tenant);
      } catch (err) {
        throw mapSqliteError(err, `tenant ${tenant.slug}`);
      }
    },
    async get(id: string) {
      const row = byId.get(id) as TenantRow | undefined;
      return row ? toTenant(row) : null;
    },
    async getBySlug(slug: string) {
      const row = bySlug.get(slug) as TenantRow | undefined;
      return row ? toTenant(row) : null;
    },
    async list(req: PageRequest & { status?: readonly TenantStatus[] }) {
      const statuses = req.status ? new Set(req.status) : null;
      const out: Tenant[] = [];
      let after = req.afterId ?? '';
      // Status filter is applied while paging so a page is always full when more rows exist.
      while (out.length < req.limit) {
        const rows = page.all(after, req.limit) as TenantRow[];
        for (const r of rows) {
          if (!statuses || statuses.has(r.status)) out.push(toTenant(r));
          if (out.length === req.limit) break;
        }
        if (rows.length < req.limit) break;
        after = rows[rows.length - 1]!.id;
      }
      return out;
    },
    async update(id: string, p: TenantPatch) {
      try {
        const row = patch.run(id, p) as TenantRow | undefined;
        return row ? toTenant(row) : null;
      } catch (err) {
        throw mapSqliteError(err, 'tenant');
      }
    },
    async purge(id: string) {
      return purge.run(id).changes > 0;
    },
  };
}
