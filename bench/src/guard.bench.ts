import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from '@ax/audit';
import { createContext, createIdGenerator, PLATFORM_TENANT_ID, SYSTEM_ACTOR } from '@ax/core';
import { Keyring, MemoryKeyringStore } from '@ax/crypto';
import { createGuard, guardAuditActions } from '@ax/guard';
import { createRbac } from '@ax/rbac';
import { openSqliteStore } from '@ax/store-sqlite';
import { createTenancy, RateLimitService } from '@ax/tenancy';
import type { BenchCase } from './harness.js';

const ACTION = 'workflow.execute';

/**
 * `guard.run` (context, tenant active, explain, rate limits, one transaction with a consume, a lease and the
 * `started` event, then `completed` and the release) against the same service calls and the same events
 * written out by hand, as an app without the guard would: the ratio is what the pipeline itself costs (context
 * and spec parsing, the lease keeper and its signal). Both on one SQLite file, with a real audit chain.
 */
export async function guardCases(): Promise<{ cases: BenchCase[]; cleanup(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'ax-bench-guard-'));
  const store = await openSqliteStore(join(dir, 'guard.db'));
  const keyring = await Keyring.open({
    store: new MemoryKeyringStore(),
    masterKey: `base64:${randomBytes(32).toString('base64')}`,
  });
  const { tenants, quotas } = createTenancy({ store });
  const rbac = createRbac({ store });
  const audit = new AuditLog({
    store,
    signer: keyring.macSigner('audit.chain'),
    actions: guardAuditActions([ACTION]),
  });
  const big = { points: 1_000_000_000, durationSec: 60 };
  const rateLimits = new RateLimitService({ store: store.rateLimits, user: big, tenant: big });
  const guard = createGuard({ store, tenants, rbac, quotas, rateLimits, audit });

  const operator = createContext({ tenantId: PLATFORM_TENANT_ID, actor: SYSTEM_ACTOR });
  const tenant = await tenants.create(operator, { name: 'Bench', slug: 'bench', plan: 'pro' });
  const system = createContext({ tenantId: tenant.id, actor: SYSTEM_ACTOR });
  await quotas.setOverride(system, { quota: 'executionsThisMonth', limit: Number.MAX_SAFE_INTEGER });
  const userId = createIdGenerator().next('user');
  await store.users.insert({
    id: userId,
    email: 'dev@bench.test',
    status: 'active',
    createdAt: 1,
    updatedAt: 1,
  });
  await rbac.assign(system, { userId, role: 'developer' });
  const dev = createContext({ tenantId: tenant.id, actor: { type: 'user', id: userId } });

  const spec = {
    permission: ACTION,
    quotas: [{ quota: 'executionsThisMonth', amount: 1 }],
    concurrency: { ttlMs: 60_000 },
  };
  const work = async () => 1;
  const byHand = async () => {
    await tenants.requireActive(dev);
    const decision = await rbac.explain(dev, 'execute', 'Workflow');
    if (!decision.allowed) throw new Error(decision.reason);
    await rateLimits.check({ tenantId: dev.tenantId, userId: dev.actor.id });
    const started = Date.now();
    const { lease, runId } = await store.transaction(async (tx) => {
      const c = await quotas.consume(dev, { quota: 'executionsThisMonth', amount: 1 }, { tx });
      const l = await quotas.acquireSlot(dev, { ttlMs: 60_000, holder: 'user:bench' }, { tx });
      const e = await audit.record(tx, dev, {
        action: `${ACTION}.started`,
        resourceType: 'Workflow',
        metadata: {
          permission: ACTION,
          consumed: [{ quota: 'executionsThisMonth', amount: 1, replayed: c.replayed }],
          lease: l.id,
        },
      });
      return { lease: l, runId: e.id };
    });
    try {
      await work();
      await audit.append(dev, {
        action: `${ACTION}.completed`,
        resourceType: 'Workflow',
        metadata: { runId, durationMs: Date.now() - started },
      });
    } finally {
      await quotas.releaseSlot(dev, { lease });
    }
  };

  const cases: BenchCase[] = [
    {
      id: 'guard/run',
      ours: {
        name: '@ax/guard guard.run (consume + lease + started/completed)',
        fn: () => guard.run(dev, spec, work),
      },
      peer: { name: 'the same service calls by hand', fn: byHand },
    },
  ];
  return {
    cases,
    async cleanup() {
      await guard.drain();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
