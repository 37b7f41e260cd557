import { type Lease, NotFoundError, parseInput, SYSTEM_ACTOR, ValidationError } from '@ax/core';
import type { z } from 'zod';
import { emitIn, type TenancyDeps, type TenancyPorts } from './ports.js';
import type { HeldLease } from './quota-types.js';
import { type acquireSchema, type releaseSlotSchema, renewSchema } from './schemas.js';

type AcquireInput = z.output<typeof acquireSchema>;

/**
 * Takes a concurrency slot (see `QuotaService.acquireSlot`). Expired leases are reclaimed in the same step;
 * `lease.reclaimed` is emitted in the transaction that reclaimed them: the caller's, else one of its own when
 * the event has in-transaction listeners (otherwise the acquire is its single atomic statement and after-commit
 * listeners are notified). A refusal is announced after that transaction, so a rollback never loses it.
 */
export async function acquireSlot<P extends TenancyPorts>(
  d: TenancyDeps<P>,
  tenantId: string,
  input: AcquireInput,
  tx: P | undefined,
): Promise<HeldLease | { exceeded: { active: number; limit: number }; now: number } | null> {
  if (d.plans.quota(input.quota).kind !== 'concurrency') {
    throw new ValidationError(`quota ${input.quota} is not a concurrency quota`, [
      { path: ['quota'], message: 'not a concurrency quota', code: 'custom' },
    ]);
  }
  const now = d.clock.now();
  const lease: Lease = {
    id: d.ids.next('lease'),
    tenantId,
    quota: input.quota,
    holder: input.holder ?? null,
    acquiredAt: now,
    expiresAt: now + input.ttlMs,
  };
  const run = async (ports: P, inTx: P | undefined) => {
    const out = await ports.quotas.acquireLease(lease, now);
    if (out.status !== 'missing' && out.reclaimed > 0) {
      const event = () => ({
        at: now,
        actor: SYSTEM_ACTOR,
        tenantId,
        quota: input.quota,
        count: out.reclaimed,
      });
      if (inTx) await emitIn(d, inTx, 'lease.reclaimed', event);
      else d.events.notify('lease.reclaimed', event());
    }
    return out;
  };
  const out = tx
    ? await run(tx, tx)
    : d.events.hasInTransaction('lease.reclaimed')
      ? await d.store.transaction((t) => run(t, t))
      : await run(d.store, undefined);
  if (out.status === 'missing') return null;
  if (out.status === 'exceeded') return { exceeded: { active: out.active, limit: out.limit }, now };
  return { ...out.lease, ttlMs: input.ttlMs };
}

/** Extends a lease of `tenantId` (see `QuotaService.renew`). */
export async function renewSlot<P extends TenancyPorts>(
  d: TenancyDeps<P>,
  tenantId: string,
  input: z.input<typeof renewSchema>,
  tx: P | undefined,
): Promise<HeldLease> {
  const { lease, ttlMs: given } = parseInput(renewSchema, input, 'quota.renew');
  // Not expiresAt - acquiredAt: acquiredAt stays put, so that would grow the TTL by every renewal's age.
  const ttlMs = given ?? lease.ttlMs;
  if (ttlMs === undefined) {
    throw new ValidationError('renew needs a ttlMs (a stored lease carries none)', [
      { path: ['ttlMs'], message: 'required', code: 'custom' },
    ]);
  }
  const gone = () => new NotFoundError(`lease ${lease.id} is no longer held (expired or released)`);
  if (lease.tenantId !== undefined && lease.tenantId !== tenantId) throw gone();
  const now = d.clock.now();
  const renewed = await (tx ?? d.store).quotas.renewLease(tenantId, lease.id, now + ttlMs, now);
  if (!renewed) throw gone();
  return { ...renewed, ttlMs };
}

/** Releases a lease of `tenantId`; another tenant's lease is never touched (false). */
export async function releaseSlot<P extends TenancyPorts>(
  d: TenancyDeps<P>,
  tenantId: string,
  input: z.output<typeof releaseSlotSchema>,
  tx: P | undefined,
): Promise<boolean> {
  const { lease } = input;
  if (lease.tenantId !== undefined && lease.tenantId !== tenantId) return false;
  return (tx ?? d.store).quotas.releaseLease(tenantId, lease.id);
}
