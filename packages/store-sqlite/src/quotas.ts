import type {
  ConsumeOutcome,
  ConsumeRequest,
  DuePeriod,
  QuotaEnforcement,
  QuotaKind,
  QuotaPeriodRecord,
  QuotaSetting,
  QuotaState,
  QuotaStore,
  RefundOutcome,
  ReleaseOutcome,
} from '@ax/core';
import type { Database } from 'better-sqlite3';
import { sqliteLeaseStatements } from './quota-leases.js';

interface QuotaRow {
  tenant_id: string;
  quota: string;
  kind: QuotaKind;
  enforcement: QuotaEnforcement;
  quota_limit: number;
  override_limit: number | null;
  ceiling: number | null;
  used: number;
  period_start: number | null;
  period_end: number | null;
  updated_at: number;
}

interface ConsumedRow {
  used: number;
  quota_limit: number;
  enforcement: QuotaEnforcement;
  period_start: number | null;
  period_end: number | null;
}

interface KeyRow extends ConsumedRow {
  amount: number;
}

interface PeriodRow {
  tenant_id: string;
  quota: string;
  period_start: number;
  period_end: number;
  used: number;
  quota_limit: number;
  closed_at: number;
}

function toState(r: QuotaRow): QuotaState {
  return {
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
}

function toPeriod(r: PeriodRow): QuotaPeriodRecord {
  return {
    tenantId: r.tenant_id,
    quota: r.quota,
    periodStart: r.period_start,
    periodEnd: r.period_end,
    used: r.used,
    limit: r.quota_limit,
    closedAt: r.closed_at,
  };
}

function consumed(r: ConsumedRow, replayed: boolean): ConsumeOutcome {
  return {
    status: 'consumed',
    used: r.used,
    limit: r.quota_limit,
    enforcement: r.enforcement,
    periodStart: r.period_start,
    periodEnd: r.period_end,
    replayed,
  };
}

/** Every method of the QuotaStore port (for the lazily prepared port). */
export const QUOTA_STORE_METHODS = [
  'upsertLimits',
  'get',
  'list',
  'consume',
  'release',
  'refund',
  'rollover',
  'duePeriods',
  'history',
  'recordThreshold',
  'clearThresholds',
  'acquireLease',
  'renewLease',
  'releaseLease',
  'activeLeases',
  'purgeExpired',
] as const satisfies readonly (keyof QuotaStore)[];

/**
 * QuotaStore on one better-sqlite3 connection. `consume` is a single conditional UPDATE … RETURNING; with an
 * idempotency key it runs in an IMMEDIATE transaction (a savepoint inside a store transaction) together with
 * the key's record, so a concurrent retry in another process waits for the first and then sees its record.
 */
export function sqliteQuotaStore(db: Database): QuotaStore {
  const upsert = db.prepare(
    `INSERT INTO ax_quotas (tenant_id, quota, kind, enforcement, quota_limit, override_limit, ceiling, used, period_start, period_end, updated_at)
     VALUES (@tenantId, @quota, @kind, @enforcement, @limit, @overrideLimit, @ceiling, 0, @periodStart, @periodEnd, @now)
     ON CONFLICT (tenant_id, quota) DO UPDATE SET
       kind = excluded.kind,
       enforcement = excluded.enforcement,
       quota_limit = excluded.quota_limit,
       override_limit = excluded.override_limit,
       ceiling = excluded.ceiling,
       period_start = CASE WHEN excluded.kind = 'periodic' THEN coalesce(period_start, excluded.period_start) END,
       period_end = CASE WHEN excluded.kind = 'periodic' THEN coalesce(period_end, excluded.period_end) END,
       updated_at = excluded.updated_at`,
  );
  const getOne = db.prepare('SELECT * FROM ax_quotas WHERE tenant_id = ? AND quota = ?');
  const listAll = db.prepare('SELECT * FROM ax_quotas WHERE tenant_id = ? ORDER BY quota');
  // The whole check-and-add: nothing is written unless the period is current and the amount fits.
  const consumeStmt = db.prepare(
    `UPDATE ax_quotas SET used = used + ?, updated_at = ?
     WHERE tenant_id = ? AND quota = ? AND kind <> 'concurrency'
       AND (period_end IS NULL OR period_end > ?)
       AND (ceiling IS NULL OR used + ? <= ceiling)
     RETURNING used, quota_limit, enforcement, period_start, period_end`,
  );
  const tryConsume = (r: ConsumeRequest) =>
    consumeStmt.get(r.amount, r.now, r.tenantId, r.quota, r.now, r.amount) as ConsumedRow | undefined;
  const findKey = db.prepare(
    `SELECT amount, used, quota_limit, enforcement, period_start, period_end FROM ax_quota_idempotency
     WHERE tenant_id = ? AND quota = ? AND idem_key = ? AND expires_at > ? AND refunded_at IS NULL`,
  );
  const findRefundable = db.prepare(
    `SELECT amount, period_start, refunded_at FROM ax_quota_idempotency
     WHERE tenant_id = ? AND quota = ? AND idem_key = ? AND expires_at > ?`,
  );
  // Gives back a key's amount only in the period it was consumed in (period_start IS the key's).
  const refundStmt = db.prepare(
    `UPDATE ax_quotas SET used = max(0, used - @amount), updated_at = @now
     WHERE tenant_id = @tenantId AND quota = @quota AND kind <> 'concurrency'
       AND period_start IS @periodStart AND (period_end IS NULL OR period_end > @now)
     RETURNING *`,
  );
  const markRefunded = db.prepare(
    'UPDATE ax_quota_idempotency SET refunded_at = ? WHERE tenant_id = ? AND quota = ? AND idem_key = ?',
  );
  const recordKey = db.prepare(
    `INSERT OR REPLACE INTO ax_quota_idempotency
       (tenant_id, quota, idem_key, amount, used, quota_limit, enforcement, period_start, period_end, created_at, expires_at)
     VALUES (@tenantId, @quota, @key, @amount, @used, @quota_limit, @enforcement, @period_start, @period_end, @now, @expiresAt)`,
  );
  const releaseStmt = db.prepare(
    `UPDATE ax_quotas SET used = max(0, used - @amount), updated_at = @now
     WHERE tenant_id = @tenantId AND quota = @quota AND kind <> 'concurrency'
       AND (period_end IS NULL OR period_end > @now)
     RETURNING *`,
  );
  const archive = db.prepare(
    `INSERT INTO ax_quota_periods (tenant_id, quota, period_start, period_end, used, quota_limit, closed_at)
     SELECT tenant_id, quota, period_start, period_end, used, quota_limit, @now FROM ax_quotas
     WHERE tenant_id = @tenantId AND quota = @quota AND period_start = @from AND period_end <= @now`,
  );
  const restart = db.prepare(
    `UPDATE ax_quotas SET used = 0, period_start = @start, period_end = @end, updated_at = @now
     WHERE tenant_id = @tenantId AND quota = @quota AND period_start = @from AND period_end <= @now`,
  );
  const due = db.prepare(
    `SELECT tenant_id, quota, period_start, period_end FROM ax_quotas
     WHERE period_end IS NOT NULL AND period_end <= ? ORDER BY period_end LIMIT ?`,
  );
  const historyAll = db.prepare(
    'SELECT * FROM ax_quota_periods WHERE tenant_id = ? ORDER BY period_start DESC, quota',
  );
  const historyOne = db.prepare(
    'SELECT * FROM ax_quota_periods WHERE tenant_id = ? AND quota = ? ORDER BY period_start DESC',
  );
  const threshold = db.prepare(
    `INSERT INTO ax_quota_thresholds (tenant_id, quota, period_start, threshold, reached_at)
     VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
  );
  const clearThresholds = db.prepare('DELETE FROM ax_quota_thresholds WHERE tenant_id = ? AND quota = ?');
  const purgeKeys = db.prepare('DELETE FROM ax_quota_idempotency WHERE expires_at <= ?');
  const leases = sqliteLeaseStatements(db);

  // Why a consume wrote nothing, read in the same transaction (or right after, and then retried).
  function classify(req: ConsumeRequest): ConsumeOutcome | null {
    const row = getOne.get(req.tenantId, req.quota) as QuotaRow | undefined;
    if (!row || row.kind === 'concurrency') return { status: 'missing' };
    if (row.period_end !== null && row.period_end <= req.now) {
      return {
        status: 'periodEnded',
        periodStart: row.period_start!,
        periodEnd: row.period_end,
      };
    }
    if (row.ceiling !== null && row.used + req.amount > row.ceiling) {
      return { status: 'exceeded', used: row.used, limit: row.quota_limit };
    }
    return null; // it would fit now: usage moved between the update and this read
  }

  // Under the write lock usage cannot move between the update and the read that explains a refusal.
  const consumeLocked = db.transaction((req: ConsumeRequest): ConsumeOutcome => {
    const row = tryConsume(req);
    return row ? consumed(row, false) : (classify(req) ?? { status: 'missing' });
  });

  function consumePlain(req: ConsumeRequest): ConsumeOutcome {
    const row = tryConsume(req); // the fast path: one autocommit statement
    if (row) return consumed(row, false);
    return classify(req) ?? consumeLocked.immediate(req);
  }

  const consumeKeyed = db.transaction((req: ConsumeRequest): ConsumeOutcome => {
    const idem = req.idempotency!;
    const prior = findKey.get(req.tenantId, req.quota, idem.key, req.now) as KeyRow | undefined;
    if (prior) {
      return prior.amount === req.amount
        ? consumed(prior, true)
        : { status: 'keyConflict', amount: prior.amount };
    }
    const row = tryConsume(req);
    if (!row) return classify(req) ?? { status: 'missing' }; // inside the lock, usage cannot have moved
    recordKey.run({
      tenantId: req.tenantId,
      quota: req.quota,
      key: idem.key,
      amount: req.amount,
      ...row,
      now: req.now,
      expiresAt: idem.expiresAt, // the domain's choice
    });
    return consumed(row, false);
  });

  const refundTx = db.transaction(
    (tenantId: string, quota: string, key: string, now: number): RefundOutcome => {
      const rec = findRefundable.get(tenantId, quota, key, now) as
        | { amount: number; period_start: number | null; refunded_at: number | null }
        | undefined;
      if (!rec) return { status: 'unknown' };
      if (rec.refunded_at !== null) return { status: 'alreadyRefunded', amount: rec.amount };
      const row = refundStmt.get({
        tenantId,
        quota,
        amount: rec.amount,
        periodStart: rec.period_start,
        now,
      }) as QuotaRow | undefined;
      if (!row) return { status: 'periodClosed', amount: rec.amount };
      markRefunded.run(now, tenantId, quota, key);
      return { status: 'refunded', amount: rec.amount, state: toState(row) };
    },
  );

  const rolloverTx = db.transaction(
    (tenantId: string, quota: string, from: number, next: { start: number; end: number }, now: number) => {
      const archived = archive.run({ tenantId, quota, from, now }).changes;
      if (archived === 0) return false;
      restart.run({
        tenantId,
        quota,
        from,
        now,
        start: next.start,
        end: next.end,
      });
      return true;
    },
  );

  const upsertAll = db.transaction((tenantId: string, settings: readonly QuotaSetting[], now: number) => {
    for (const s of settings) upsert.run({ tenantId, now, ...s });
  });

  return {
    async upsertLimits(tenantId, settings, now) {
      upsertAll.immediate(tenantId, settings, now);
    },
    async get(tenantId, quota) {
      const row = getOne.get(tenantId, quota) as QuotaRow | undefined;
      return row ? toState(row) : null;
    },
    async list(tenantId) {
      return (listAll.all(tenantId) as QuotaRow[]).map(toState);
    },
    async consume(req) {
      return req.idempotency ? consumeKeyed.immediate(req) : consumePlain(req);
    },
    async release(tenantId, quota, amount, now): Promise<ReleaseOutcome> {
      const row = releaseStmt.get({ tenantId, quota, amount, now }) as QuotaRow | undefined;
      if (row) return { status: 'released', state: toState(row) };
      const current = getOne.get(tenantId, quota) as QuotaRow | undefined;
      if (!current || current.kind === 'concurrency') return { status: 'missing' };
      if (current.period_end !== null && current.period_end <= now) {
        return {
          status: 'periodEnded',
          periodStart: current.period_start!,
          periodEnd: current.period_end,
        };
      }
      return { status: 'missing' };
    },
    async refund(tenantId, quota, key, now) {
      return refundTx.immediate(tenantId, quota, key, now);
    },
    async rollover(tenantId, quota, from, next, now) {
      return rolloverTx.immediate(tenantId, quota, from, next, now);
    },
    async duePeriods(now, limit): Promise<DuePeriod[]> {
      return (due.all(now, limit) as PeriodRow[]).map((r) => ({
        tenantId: r.tenant_id,
        quota: r.quota,
        periodStart: r.period_start,
        periodEnd: r.period_end,
      }));
    },
    async history(tenantId, quota) {
      const rows = (
        quota === undefined ? historyAll.all(tenantId) : historyOne.all(tenantId, quota)
      ) as PeriodRow[];
      return rows.map(toPeriod);
    },
    async recordThreshold(tenantId, quota, periodStart, value, now) {
      return threshold.run(tenantId, quota, periodStart, value, now).changes > 0;
    },
    async clearThresholds(tenantId, quota) {
      clearThresholds.run(tenantId, quota);
    },
    async acquireLease(lease, now) {
      return leases.acquire(lease, now);
    },
    async renewLease(tenantId, leaseId, expiresAt, now) {
      return leases.renew(tenantId, leaseId, expiresAt, now);
    },
    async releaseLease(tenantId, leaseId) {
      return leases.release(tenantId, leaseId);
    },
    async activeLeases(tenantId, now) {
      return leases.active(tenantId, now);
    },
    async purgeExpired(now) {
      const tx = db.transaction(() => ({
        leases: leases.purgeExpired(now),
        idempotencyKeys: purgeKeys.run(now).changes,
      }));
      return tx.immediate();
    },
  };
}
