import type { Lease, QuotaPeriodRecord, QuotaState } from '@ax/core';
import type { QuotaProbe } from '@ax/store-testkit';
import { sqliteProbe } from './probes.js';

// Column values as SQLite returns them for the tenancy tables (a superset: each query reads some).
interface Row {
  id: string;
  tenant_id: string;
  quota: string;
  kind: QuotaState['kind'];
  enforcement: QuotaState['enforcement'];
  quota_limit: number;
  override_limit: number | null;
  ceiling: number | null;
  used: number;
  period_start: number;
  period_end: number;
  updated_at: number;
  holder: string | null;
  acquired_at: number;
  expires_at: number;
  amount: number;
  closed_at: number;
  threshold: number;
}

/** Raw reads of the tenancy tables on a second, read-only connection with hand-written SQL. */
export function sqliteQuotaProbe(
  filename: string,
): QuotaProbe & { raw: ReturnType<typeof sqliteProbe>['raw'] } {
  const core = sqliteProbe(filename);
  const { raw } = core;
  return {
    ...core,
    async quotaRow(tenantId, quota) {
      const r = raw
        .prepare('SELECT * FROM ax_quotas WHERE tenant_id = ? AND quota = ?')
        .get(tenantId, quota) as Row | undefined;
      if (!r) return null;
      const q: QuotaState = {
        tenantId: r.tenant_id,
        quota: r.quota,
        kind: r.kind,
        enforcement: r.enforcement,
        limit: r.quota_limit,
        overrideLimit: r.override_limit,
        ceiling: r.ceiling,
        used: r.used,
        periodStart: r.period_start,
        periodEnd: r.period_end,
        updatedAt: r.updated_at,
      };
      return q;
    },
    async leaseRows(tenantId) {
      return (
        raw.prepare('SELECT * FROM ax_quota_leases WHERE tenant_id = ? ORDER BY id').all(tenantId) as Row[]
      ).map(
        (r): Lease => ({
          id: r.id,
          tenantId: r.tenant_id,
          quota: r.quota,
          holder: r.holder,
          acquiredAt: r.acquired_at,
          expiresAt: r.expires_at,
        }),
      );
    },
    async idempotencyRow(tenantId, quota, key) {
      const r = raw
        .prepare(
          'SELECT amount, used, expires_at FROM ax_quota_idempotency WHERE tenant_id = ? AND quota = ? AND idem_key = ?',
        )
        .get(tenantId, quota, key) as Row | undefined;
      return r ? { amount: r.amount, used: r.used, expiresAt: r.expires_at } : null;
    },
    async periodRows(tenantId, quota) {
      return (
        raw
          .prepare('SELECT * FROM ax_quota_periods WHERE tenant_id = ? AND quota = ? ORDER BY period_start')
          .all(tenantId, quota) as Row[]
      ).map(
        (r): QuotaPeriodRecord => ({
          tenantId: r.tenant_id,
          quota: r.quota,
          periodStart: r.period_start,
          periodEnd: r.period_end,
          used: r.used,
          limit: r.quota_limit,
          closedAt: r.closed_at,
        }),
      );
    },
    async thresholdRows(tenantId, quota) {
      return (
        raw
          .prepare(
            'SELECT period_start, threshold FROM ax_quota_thresholds WHERE tenant_id = ? AND quota = ?',
          )
          .all(tenantId, quota) as Row[]
      )
        .map((r) => `${r.period_start}:${r.threshold}`)
        .sort();
    },
  };
}
