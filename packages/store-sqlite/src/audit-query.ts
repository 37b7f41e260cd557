import { type AuditQueryFilter, type AuditQueryPage, ValidationError } from '@ax/core';
import type { Database, Statement } from 'better-sqlite3';
import { AUDIT_COLUMNS, type AuditRawRow, toAuditRow } from './audit-rows.js';

// Column for each equality filter; names come only from here, never from the caller.
const EQUALS: readonly [keyof AuditQueryFilter, string][] = [
  ['actorId', 'actor_id'],
  ['actorType', 'actor_type'],
  ['action', 'action'],
  ['resource', 'resource'],
  ['resourceType', 'resource_type'],
  ['outcome', 'outcome'],
];

/**
 * The filtered, paginated audit query. One tenant's events page by seq (newest first), backed by the
 * `(tenant_id, <filter>, seq)` indexes; platform-wide queries page by the global insert position. The cursor
 * is opaque to callers: `s<seq>` or `p<pos>`.
 */
export function sqliteAuditQuery(db: Database): (filter: AuditQueryFilter) => Promise<AuditQueryPage> {
  const cache = new Map<string, Statement>();
  return async (f) => {
    const scoped = f.tenantId !== undefined;
    const order = scoped ? 'seq' : 'pos';
    const where: string[] = [];
    const args: unknown[] = [];
    if (scoped) {
      where.push('tenant_id = ?');
      args.push(f.tenantId);
    }
    for (const [key, col] of EQUALS) {
      if (f[key] !== undefined) {
        where.push(`${col} = ?`);
        args.push(f[key]);
      }
    }
    if (f.actionPrefix !== undefined && f.actionPrefix !== '') {
      where.push('action >= ? AND action < ?');
      args.push(f.actionPrefix, `${f.actionPrefix}\uffff`);
    }
    if (scoped) {
      // Timestamps never decrease along a tenant's chain (append enforces it), so a time range is a seq range:
      // two seeks on the time index, then the filter index scans by seq with no sort.
      if (f.since !== undefined) {
        where.push(
          'seq >= coalesce((SELECT seq FROM audit_events WHERE tenant_id = ? AND timestamp >= ? ORDER BY timestamp, seq LIMIT 1), 9e18)',
        );
        args.push(f.tenantId, f.since);
      }
      if (f.until !== undefined) {
        where.push(
          'seq < coalesce((SELECT seq FROM audit_events WHERE tenant_id = ? AND timestamp >= ? ORDER BY timestamp, seq LIMIT 1), 9e18)',
        );
        args.push(f.tenantId, f.until);
      }
    } else {
      if (f.since !== undefined) {
        where.push('timestamp >= ?');
        args.push(f.since);
      }
      if (f.until !== undefined) {
        where.push('timestamp < ?');
        args.push(f.until);
      }
    }
    if (f.cursor !== undefined) {
      const m = /^([sp])(\d{1,16})$/.exec(f.cursor);
      if (!m || (m[1] === 's') !== scoped) {
        throw new ValidationError('invalid audit query cursor', [
          { path: ['cursor'], message: 'not a cursor from this query', code: 'custom' },
        ]);
      }
      where.push(`${order} < ?`);
      args.push(Number(m[2]));
    }
    const sql = `SELECT pos, ${AUDIT_COLUMNS} FROM audit_events${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order} DESC LIMIT ?`;
    let stmt = cache.get(sql);
    if (!stmt) {
      stmt = db.prepare(sql).raw();
      cache.set(sql, stmt);
    }
    const raw = stmt.all(...args, f.limit + 1) as [number, ...AuditRawRow][];
    const more = raw.length > f.limit;
    const page = more ? raw.slice(0, f.limit) : raw;
    const rows = page.map((r) => toAuditRow(r.slice(1) as AuditRawRow));
    const last = page[page.length - 1];
    const nextCursor = more && last ? (scoped ? `s${last[2]}` : `p${last[0]}`) : null;
    return { rows, nextCursor };
  };
}
