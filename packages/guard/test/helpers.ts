import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from '@ax/audit';
import {
  AxError,
  createContext,
  type ExecutionContext,
  type MacSigner,
  ManualClock,
  PLATFORM_TENANT_ID,
  type StorePorts,
  SYSTEM_ACTOR,
} from '@ax/core';
import { createRbac, type Rbac } from '@ax/rbac';
import { openSqliteStore, type SqliteStore } from '@ax/store-sqlite';
import { makeUser } from '@ax/store-testkit';
import { createTenancy, RateLimitService, type Tenancy } from '@ax/tenancy';
import { createGuard, type Guard, type GuardOptions, guardAuditActions } from '../src/index.js';

/** HMAC-SHA256 with one key: stands in for the keyring's `macSigner('audit')`. */
export class TestMacSigner implements MacSigner {
  readonly currentVersion = 1;
  readonly #key = Buffer.from('guard-test-audit-key');
  sign(data: Uint8Array | string) {
    return { keyVersion: 1, mac: new Uint8Array(createHmac('sha256', this.#key).update(data).digest()) };
  }
  verify(data: Uint8Array | string, mac: Uint8Array, keyVersion: number) {
    if (keyVersion !== 1 || mac.byteLength !== 32) return false;
    return timingSafeEqual(createHmac('sha256', this.#key).update(data).digest(), mac);
  }
}

export const ACTION = 'workflow.execute';

/** One audit row as the tests read it, straight from the table. */
export interface EventRow {
  id: string;
  action: string;
  outcome: string;
  reason: string | null;
  metadata: Record<string, unknown>;
}

export interface Harness {
  store: SqliteStore;
  file: string;
  clock: ManualClock;
  tenancy: Tenancy<StorePorts>;
  rbac: Rbac;
  audit: AuditLog;
  guard: Guard<StorePorts>;
  tenantId: string;
  /** A developer (holds workflow.execute) in the tenant. */
  dev: ExecutionContext;
  /** A viewer (no workflow.execute) in the tenant. */
  viewer: ExecutionContext;
  /** The system operator in the tenant. */
  system: ExecutionContext;
  /** Audit rows of the tenant, oldest first. */
  events(): EventRow[];
  /** `used` of a counted quota, straight from the table. */
  used(quota: string): number;
  /** Lease rows of the tenant, expired or not. */
  leaseRows(): number;
  cleanup(): Promise<void>;
}

export interface HarnessOptions {
  plan?: 'free' | 'pro' | 'enterprise';
  /** Per-user and per-tenant points a minute (default 100,000). */
  ratePoints?: number;
  /** Replaces parts of what the guard is built with (a failing audit). */
  override?: (opts: GuardOptions<StorePorts>) => GuardOptions<StorePorts>;
  file?: string;
}

export async function harness(options: HarnessOptions = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'ax-guard-'));
  const file = options.file ?? join(dir, 'guard.db');
  const store = await openSqliteStore(file);
  const clock = new ManualClock();
  const tenancy = createTenancy<StorePorts>({ store, clock });
  const rbac = createRbac({ store, clock });
  const audit = new AuditLog({
    store,
    signer: new TestMacSigner(),
    clock,
    actions: guardAuditActions([ACTION]),
  });
  const points = options.ratePoints ?? 100_000;
  const rateLimits = new RateLimitService({
    store: store.rateLimits,
    user: { points, durationSec: 60 },
    tenant: { points, durationSec: 60 },
  });
  const boot = createContext({ tenantId: PLATFORM_TENANT_ID, actor: SYSTEM_ACTOR });
  const tenant = await tenancy.tenants.create(boot, {
    name: 'Acme',
    slug: 'acme',
    plan: options.plan ?? 'pro',
  });
  const system = createContext({ tenantId: tenant.id, actor: SYSTEM_ACTOR });
  const member = async (role: string) => {
    const u = makeUser();
    await store.users.insert(u);
    await rbac.assign(system, { userId: u.id, role });
    return createContext({ tenantId: tenant.id, actor: { type: 'user', id: u.id }, requestId: 'req_test' });
  };
  const dev = await member('developer');
  const viewer = await member('viewer');
  const base: GuardOptions<StorePorts> = {
    store,
    tenants: tenancy.tenants,
    rbac,
    quotas: tenancy.quotas,
    rateLimits,
    audit,
    clock,
  };
  const guard = createGuard(options.override ? options.override(base) : base);
  const eventsStmt = store.db.prepare(
    'SELECT id, action, outcome, reason, metadata FROM audit_events WHERE tenant_id = ? ORDER BY seq',
  );
  const usedStmt = store.db.prepare('SELECT used FROM ax_quotas WHERE tenant_id = ? AND quota = ?');
  const leasesStmt = store.db.prepare('SELECT count(*) AS n FROM ax_quota_leases WHERE tenant_id = ?');
  return {
    store,
    file,
    clock,
    tenancy,
    rbac,
    audit,
    guard,
    tenantId: tenant.id,
    dev,
    viewer,
    system,
    events: () =>
      (
        eventsStmt.all(tenant.id) as {
          id: string;
          action: string;
          outcome: string;
          reason: string | null;
          metadata: string;
        }[]
      )
        .filter((r) => r.action.startsWith(`${ACTION}.`))
        .map((r) => ({ ...r, metadata: JSON.parse(r.metadata) as Record<string, unknown> })),
    used: (quota) => (usedStmt.get(tenant.id, quota) as { used: number }).used,
    leaseRows: () => (leasesStmt.get(tenant.id) as { n: number }).n,
    async cleanup() {
      await guard.drain();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** What `p` rejected with, which must be an AxError (the test fails otherwise, and when `p` resolves). */
export async function refusal(p: Promise<unknown>): Promise<AxError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof AxError)) throw new Error(`expected an AxError, got ${String(err)}`);
  return err;
}
