import { type Actor, QuotaExceededError, SYSTEM_ACTOR, ValidationError } from '@ax/core';
import { nextBillingPeriod } from './periods.js';
import { announce, emitIn, type TenancyDeps, type TenancyPorts } from './ports.js';

/**
 * Closes an ended period in `tx` (the caller's), else in a transaction of its own: the close and its
 * `quota.periodClosed` event commit together.
 */
export async function rollover<P extends TenancyPorts>(
  d: TenancyDeps<P>,
  tx: P | undefined,
  tenantId: string,
  quota: string,
  periodStart: number,
  periodEnd: number,
  now: number,
): Promise<boolean> {
  const run = async (t: P) => {
    const tenant = await t.tenants.get(tenantId);
    const next = nextBillingPeriod(now, tenant?.billingAnchorDay ?? null, periodEnd);
    const closed = await t.quotas.rollover(tenantId, quota, periodStart, next, now);
    if (closed) {
      await emitIn(d, t, 'quota.periodClosed', () => ({
        at: now,
        actor: SYSTEM_ACTOR,
        tenantId,
        quota,
        periodStart,
        periodEnd,
      }));
    }
    return closed;
  };
  return tx ? run(tx) : d.store.transaction(run);
}

/** Announces a refusal (`quota.exceeded`, see `announce`) and returns the error to throw. */
export async function exceeded<P extends TenancyPorts>(
  d: TenancyDeps<P>,
  tx: P | undefined,
  actor: Actor,
  tenantId: string,
  quota: string,
  used: number,
  limit: number,
  requested: number,
  now: number,
): Promise<QuotaExceededError> {
  await announce(d, tx, 'quota.exceeded', () => ({
    at: now,
    actor,
    tenantId,
    quota,
    used,
    limit,
    requested,
  }));
  return new QuotaExceededError({ quota, limit, used, requested, tenantId });
}

/** The error for a consume on a tenant or quota that does not exist. */
export async function missing<P extends TenancyPorts>(
  d: TenancyDeps<P>,
  tx: P | undefined,
  tenantId: string,
  quota: string,
): Promise<ValidationError> {
  const tenant = await (tx ?? d.store).tenants.get(tenantId);
  if (!tenant) {
    return new ValidationError(`unknown tenant ${tenantId}`, [
      { path: ['tenantId'], message: 'unknown tenant', code: 'custom' },
    ]);
  }
  return new ValidationError(
    `quota ${quota} is not provisioned for tenant ${tenantId}; re-apply its plan (syncQuotas)`,
    [{ path: ['quota'], message: 'quota not provisioned for this tenant', code: 'custom' }],
  );
}
