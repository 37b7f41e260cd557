// TEMPORARY (until h-store lands): the new (ctx, input, { tx }) shape over today's tenancy.
import { type ExecutionContext, NotFoundError, QuotaExceededError, type StorePorts } from '@ax/core';
import type { SqliteStore } from '@ax/store-sqlite';
// biome-ignore lint/suspicious/noExplicitAny: temporary shim
type Any = any;
export function shim(
  t: Any,
  store: SqliteStore,
  clock: { now(): number },
  ids: { next(k: string): string },
): Any {
  const q = (tx?: StorePorts) => (tx ?? store).quotas;
  const quotas = {
    async consume(ctx: ExecutionContext, i: Any, o?: { tx?: StorePorts }) {
      for (;;) {
        const out = await q(o?.tx).consume({
          tenantId: ctx.tenantId,
          quota: i.quota,
          amount: i.amount,
          now: clock.now(),
          ...(i.idempotencyKey ? { idempotency: { key: i.idempotencyKey, ttlMs: 86_400_000 } } : {}),
        });
        if (out.status === 'consumed') return { replayed: out.replayed };
        if (out.status === 'exceeded')
          throw new QuotaExceededError({
            quota: i.quota,
            limit: out.limit,
            used: out.used,
            requested: i.amount,
          });
        throw new Error(`shim: ${out.status}`);
      }
    },
    async refund() {
      return { refunded: false, amount: 0 };
    },
    async acquireSlot(ctx: ExecutionContext, i: Any, o?: { tx?: StorePorts }) {
      const now = clock.now();
      const lease = {
        id: ids.next('lease'),
        tenantId: ctx.tenantId,
        quota: i.quota ?? 'concurrentExecutions',
        holder: i.holder ?? null,
        acquiredAt: now,
        expiresAt: now + i.ttlMs,
      };
      const out = await q(o?.tx).acquireLease(lease, now);
      if (out.status === 'exceeded')
        throw new QuotaExceededError({
          quota: lease.quota,
          limit: out.limit,
          used: out.active,
          requested: 1,
        });
      if (out.status !== 'acquired') throw new Error(`shim: ${out.status}`);
      return { ...out.lease, ttlMs: i.ttlMs };
    },
    async renew(ctx: ExecutionContext, i: Any) {
      const now = clock.now();
      const r = await store.quotas.renewLease(ctx.tenantId, i.lease.id, now + i.lease.ttlMs, now);
      if (!r) throw new NotFoundError('gone');
      return { ...r, ttlMs: i.lease.ttlMs };
    },
    async releaseSlot(ctx: ExecutionContext, i: Any) {
      return store.quotas.releaseLease(ctx.tenantId, i.lease.id);
    },
    setOverride: (ctx: ExecutionContext, i: Any) => t.quotas.setOverride(ctx.tenantId, i.quota, i.limit),
    usage: (ctx: ExecutionContext) => t.quotas.usage(ctx.tenantId),
  };
  const tenants = {
    create: (_ctx: ExecutionContext, i: Any) => t.tenants.create(i),
    suspend: (ctx: ExecutionContext, i: Any) => t.tenants.suspend(ctx.tenantId, i.reason),
    activate: (ctx: ExecutionContext) => t.tenants.activate(ctx.tenantId),
    get: (id: string) => t.tenants.get(id),
    requireActive: (id: string) => t.tenants.requireActive(id),
  };
  return { tenants, quotas, plans: t.plans };
}
