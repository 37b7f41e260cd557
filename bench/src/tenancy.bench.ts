import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createContext, type ExecutionContext, PLATFORM_TENANT_ID, SYSTEM_ACTOR } from '@ax/core';
import { openSqliteStore } from '@ax/store-sqlite';
import { createTenancy, RateLimitService } from '@ax/tenancy';
import BetterSqlite3 from 'better-sqlite3';
import { RateLimiterSQLite } from 'rate-limiter-flexible';
import type { BenchCase } from './harness.js';

const OPERATOR = createContext({ tenantId: PLATFORM_TENANT_ID, actor: SYSTEM_ACTOR });
const contexts = new Map<string, ExecutionContext>();
// One frozen context per tenant, as a request handler holds one per request.
const at = (tenantId: string): ExecutionContext => {
  const known = contexts.get(tenantId);
  if (known) return known;
  const made = createContext({ tenantId, actor: SYSTEM_ACTOR });
  contexts.set(tenantId, made);
  return made;
};

// The statement QuotaStore.consume runs, copied here so the peer runs exactly the same SQL.
const CONSUME_SQL = `UPDATE ax_quotas SET used = used + ?, updated_at = ?
  WHERE tenant_id = ? AND quota = ? AND kind <> 'concurrency'
    AND (period_end IS NULL OR period_end > ?)
    AND (ceiling IS NULL OR used + ? <= ceiling)
  RETURNING used, quota_limit, enforcement, period_start, period_end`;

/**
 * Quota consume through QuotaService (validation, store port, outcome mapping) against the same single
 * conditional UPDATE on better-sqlite3 directly; a soft quota's consume (a transaction, for its thresholds)
 * against the UPDATE in a raw transaction; keyed consume against the same three statements in a raw
 * transaction; and the combined user+tenant rate-limit check against two raw rate-limiter-flexible
 * RateLimiterSQLite limiters on the same connection and table.
 */
export async function tenancyCases(): Promise<{ cases: BenchCase[]; cleanup(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'ax-bench-tenancy-'));
  const store = await openSqliteStore(join(dir, 'ours.db'));
  const { tenants, quotas, plans } = createTenancy({ store });
  const tenant = await tenants.create(OPERATOR, { name: 'Bench', slug: 'bench', plan: 'pro' });
  const big = Number.MAX_SAFE_INTEGER;
  await quotas.setOverride(at(tenant.id), { quota: 'executionsThisMonth', limit: big });
  await quotas.setOverride(at(tenant.id), { quota: 'workflows', limit: big });
  // A soft quota (its consume runs in a transaction with its threshold records): a plan where API calls are soft.
  plans.definePlan({ ...plans.plan('pro'), name: 'pro-metered', soft: ['apiCallsThisMonth'] });
  const soft = await tenants.create(OPERATOR, { name: 'Soft', slug: 'bench-soft', plan: 'pro-metered' });
  await quotas.setOverride(at(soft.id), { quota: 'apiCallsThisMonth', limit: big });

  // The peer: a copy of the same database (schema, rows, pragmas), driven with raw statements.
  await store.db.backup(join(dir, 'raw.db'));
  const raw = new BetterSqlite3(join(dir, 'raw.db'));
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.pragma('foreign_keys = ON');
  raw.pragma('busy_timeout = 5000');
  const rawConsume = raw.prepare(CONSUME_SQL);
  const rawSoft = raw.transaction(() => {
    const now = Date.now();
    return rawConsume.get(1, now, soft.id, 'apiCallsThisMonth', now, 1);
  });
  const rawFindKey = raw.prepare(
    `SELECT amount, used, quota_limit, enforcement, period_start, period_end FROM ax_quota_idempotency
     WHERE tenant_id = ? AND quota = ? AND idem_key = ? AND expires_at > ?`,
  );
  const rawRecordKey = raw.prepare(
    `INSERT OR REPLACE INTO ax_quota_idempotency
       (tenant_id, quota, idem_key, amount, used, quota_limit, enforcement, period_start, period_end, created_at, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const rawKeyed = raw.transaction((key: string) => {
    const now = Date.now();
    if (rawFindKey.get(tenant.id, 'workflows', key, now)) return;
    const r = rawConsume.get(1, now, tenant.id, 'workflows', now, 1) as {
      used: number;
      quota_limit: number;
      enforcement: string;
    };
    rawRecordKey.run(
      tenant.id,
      'workflows',
      key,
      1,
      r.used,
      r.quota_limit,
      r.enforcement,
      null,
      null,
      now,
      now + 1,
    );
  });

  const points = 1_000_000_000; // never limited: the bench measures the check, not the refusal
  const limits = new RateLimitService({
    store: store.rateLimits,
    user: { points, durationSec: 60 },
    tenant: { points, durationSec: 60 },
  });
  const peerOpts = {
    storeClient: store.db,
    storeType: 'better-sqlite3' as const,
    tableName: 'ax_rate_limits',
    tableCreated: true,
  };
  const peerTenant = new RateLimiterSQLite({ ...peerOpts, keyPrefix: 'peer:tenant', points, duration: 60 });
  const peerUser = new RateLimiterSQLite({ ...peerOpts, keyPrefix: 'peer:user', points, duration: 60 });

  let k = 0;
  let rk = 0;
  const cases: BenchCase[] = [
    {
      id: 'tenancy/consume',
      ours: {
        name: '@ax/tenancy quotas.consume',
        fn: () => quotas.consume(at(tenant.id), { quota: 'executionsThisMonth', amount: 1 }),
      },
      peer: {
        name: 'better-sqlite3 conditional UPDATE',
        fn: () => {
          const now = Date.now();
          return rawConsume.get(1, now, tenant.id, 'executionsThisMonth', now, 1);
        },
      },
      target: { minRatio: 0.7, note: 'consume >= 0.7x the raw conditional UPDATE' },
    },
    {
      id: 'tenancy/consume-soft',
      ours: {
        name: '@ax/tenancy quotas.consume (soft quota, in a transaction)',
        fn: () => quotas.consume(at(soft.id), { quota: 'apiCallsThisMonth', amount: 1 }),
      },
      peer: { name: 'better-sqlite3 conditional UPDATE in a tx', fn: () => rawSoft.immediate() },
    },
    {
      id: 'tenancy/consume-idempotent',
      ours: {
        name: '@ax/tenancy quotas.consume (new key)',
        fn: () => quotas.consume(at(tenant.id), { quota: 'workflows', amount: 1, idempotencyKey: `k${k++}` }),
      },
      peer: { name: 'better-sqlite3 select+update+insert tx', fn: () => rawKeyed.immediate(`k${rk++}`) },
    },
    {
      id: 'tenancy/rate-limit-check',
      ours: {
        name: '@ax/tenancy RateLimitService.check',
        fn: () => limits.check({ tenantId: tenant.id, userId: 'usr_bench' }),
      },
      peer: {
        name: 'rate-limiter-flexible SQLite x2 consume',
        fn: () => Promise.all([peerTenant.consume(tenant.id), peerUser.consume('usr_bench')]),
      },
      target: { minRatio: 0.8, note: 'rate-limit check >= 0.8x raw rate-limiter-flexible' },
    },
  ];
  return {
    cases,
    async cleanup() {
      raw.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
