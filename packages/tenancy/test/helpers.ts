import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createContext,
  type ExecutionContext,
  ManualClock,
  PLATFORM_TENANT_ID,
  type StorePorts,
  SYSTEM_ACTOR,
} from '@ax/core';
import { openSqliteStore, type SqliteStore } from '@ax/store-sqlite';
import BetterSqlite3 from 'better-sqlite3';
import { createTenancy, type PlanCatalog, type Tenancy } from '../src/index.js';

/** A fresh file-backed store, a manual clock, the services, and a raw read-only connection for checks. */
export interface Env {
  file: string;
  store: SqliteStore;
  clock: ManualClock;
  tenancy: Tenancy<StorePorts>;
  raw: BetterSqlite3.Database;
  /** Row count of every tenancy table (to prove nothing was written). */
  snapshot(): Record<string, unknown>;
  cleanup(): Promise<void>;
}

export async function makeEnv(opts: { start?: number; plans?: PlanCatalog } = {}): Promise<Env> {
  const dir = mkdtempSync(join(tmpdir(), 'ax-tenancy-'));
  const file = join(dir, 'ax.db');
  const store = await openSqliteStore(file);
  const clock = new ManualClock(opts.start ?? Date.UTC(2026, 0, 15, 12));
  const tenancy = createTenancy({ store, clock, ...(opts.plans ? { plans: opts.plans } : {}) });
  const raw = new BetterSqlite3(file, { readonly: true });
  return {
    file,
    store,
    clock,
    tenancy,
    raw,
    snapshot() {
      const out: Record<string, unknown> = {};
      for (const t of [
        'tenants',
        'ax_quotas',
        'ax_quota_idempotency',
        'ax_quota_periods',
        'ax_quota_thresholds',
        'ax_quota_leases',
      ]) {
        out[t] = raw.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all();
      }
      return out;
    },
    async cleanup() {
      raw.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The raw quota row, read without the adapter. */
export function quotaRow(raw: BetterSqlite3.Database, tenantId: string, quota: string) {
  return raw.prepare('SELECT * FROM ax_quotas WHERE tenant_id = ? AND quota = ?').get(tenantId, quota) as
    | { used: number; quota_limit: number; period_start: number | null; period_end: number | null }
    | undefined;
}

/** The operator acting on the whole installation (creating tenants). */
export const OPERATOR: ExecutionContext = createContext({
  tenantId: PLATFORM_TENANT_ID,
  actor: SYSTEM_ACTOR,
});

/** A context acting in `tenantId`, as the system operator unless `actor` is given. */
export function at(tenantId: string, actor: ExecutionContext['actor'] = SYSTEM_ACTOR): ExecutionContext {
  return { tenantId, actor };
}
