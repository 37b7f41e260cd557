import type { AcquireOutcome, Lease } from '@ax/core';
import type { Database } from 'better-sqlite3';

interface LeaseRow {
  id: string;
  tenant_id: string;
  quota: string;
  holder: string | null;
  acquired_at: number;
  expires_at: number;
}

function toLease(r: LeaseRow): Lease {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    quota: r.quota,
    holder: r.holder,
    acquiredAt: r.acquired_at,
    expiresAt: r.expires_at,
  };
}

/** Concurrency leases: reclaim expired ones, then one conditional INSERT … SELECT that counts active ones. */
export function sqliteLeaseStatements(db: Database) {
  const reclaim = db.prepare(
    'DELETE FROM ax_quota_leases WHERE tenant_id = ? AND quota = ? AND expires_at <= ?',
  );
  const insert = db.prepare(
    `INSERT INTO ax_quota_leases (id, tenant_id, quota, holder, acquired_at, expires_at)
     SELECT @id, q.tenant_id, q.quota, @holder, @acquiredAt, @expiresAt FROM ax_quotas q
     WHERE q.tenant_id = @tenantId AND q.quota = @quota AND q.kind = 'concurrency'
       AND (q.ceiling IS NULL OR q.ceiling > (
         SELECT count(*) FROM ax_quota_leases l
         WHERE l.tenant_id = q.tenant_id AND l.quota = q.quota AND l.expires_at > @now))`,
  );
  const slot = db.prepare(
    `SELECT q.quota_limit AS quota_limit, (SELECT count(*) FROM ax_quota_leases l
       WHERE l.tenant_id = q.tenant_id AND l.quota = q.quota AND l.expires_at > ?) AS active
     FROM ax_quotas q WHERE q.tenant_id = ? AND q.quota = ? AND q.kind = 'concurrency'`,
  );
  const renew = db.prepare(
    `UPDATE ax_quota_leases SET expires_at = ? WHERE id = ? AND tenant_id = ? AND expires_at > ? RETURNING *`,
  );
  const release = db.prepare('DELETE FROM ax_quota_leases WHERE id = ? AND tenant_id = ?');
  const active = db.prepare(
    'SELECT * FROM ax_quota_leases WHERE tenant_id = ? AND expires_at > ? ORDER BY acquired_at, id',
  );
  const purge = db.prepare('DELETE FROM ax_quota_leases WHERE expires_at <= ?');

  const acquire = db.transaction((lease: Lease, now: number): AcquireOutcome => {
    const reclaimed = reclaim.run(lease.tenantId, lease.quota, now).changes;
    if (insert.run({ ...lease, now }).changes === 1) return { status: 'acquired', lease, reclaimed };
    const s = slot.get(now, lease.tenantId, lease.quota) as
      | { quota_limit: number; active: number }
      | undefined;
    if (!s) return { status: 'missing' };
    return {
      status: 'exceeded',
      active: s.active,
      limit: s.quota_limit,
      reclaimed,
    };
  });

  return {
    acquire: (lease: Lease, now: number) => acquire.immediate(lease, now),
    renew(tenantId: string, leaseId: string, expiresAt: number, now: number): Lease | null {
      const row = renew.get(expiresAt, leaseId, tenantId, now) as LeaseRow | undefined;
      return row ? toLease(row) : null;
    },
    release: (tenantId: string, leaseId: string) => release.run(leaseId, tenantId).changes > 0,
    active: (tenantId: string, now: number) => (active.all(tenantId, now) as LeaseRow[]).map(toLease),
    purgeExpired: (now: number) => purge.run(now).changes,
  };
}
