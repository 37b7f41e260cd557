import type { AuditEventInput, AuditLog } from '@ax/audit';
import type { Actor, StorePorts } from '@ax/core';
import type { EventContext, TenancyEmitter, TenancyEvents } from '@ax/tenancy';

/** Actions the wiring records beyond the built-in catalog; registered with the app's AuditLog. */
export const APP_AUDIT_ACTIONS: readonly string[] = [
  'tenant.plan.change',
  'quota.threshold',
  'quota.period.close',
  'quota.lease.reclaim',
];

type Mapped = { tenantId: string; actor: Actor; event: AuditEventInput };
type Mappers = { [K in keyof TenancyEvents]: (e: TenancyEvents[K]) => Mapped };

const tenantEvent = (
  action: string,
  e: { actor: Actor; at: number; tenant: { id: string; slug: string; plan: string; status: string } },
  extra: Record<string, unknown> = {},
  reason: string | null = null,
): Mapped => ({
  tenantId: e.tenant.id,
  actor: e.actor,
  event: {
    action,
    resource: e.tenant.id,
    resourceType: 'tenant',
    reason,
    metadata: { slug: e.tenant.slug, plan: e.tenant.plan, status: e.tenant.status, at: e.at, ...extra },
  },
});

const quotaEvent = (
  action: string,
  e: { actor: Actor; at: number; tenantId: string; quota: string },
  metadata: Record<string, unknown>,
  outcome: 'success' | 'denied' = 'success',
): Mapped => ({
  tenantId: e.tenantId,
  actor: e.actor,
  event: { action, outcome, resource: e.quota, resourceType: 'quota', metadata: { at: e.at, ...metadata } },
});

const MAP: Mappers = {
  'tenant.created': (e) => tenantEvent('tenant.create', e),
  'tenant.updated': (e) =>
    tenantEvent('tenant.update', e, {
      changed: Object.keys(e.tenant).filter(
        (k) =>
          k !== 'updatedAt' &&
          e.tenant[k as keyof typeof e.tenant] !== e.previous[k as keyof typeof e.previous],
      ),
    }),
  'tenant.planChanged': (e) => tenantEvent('tenant.plan.change', e, { from: e.from, to: e.to }),
  'tenant.suspended': (e) => tenantEvent('tenant.suspend', e, {}, e.reason),
  'tenant.activated': (e) => tenantEvent('tenant.reactivate', e, { previousStatus: e.previousStatus }),
  'tenant.deleted': (e) => tenantEvent('tenant.delete', e),
  'tenant.purged': (e) => ({
    tenantId: e.tenantId,
    actor: e.actor,
    event: {
      action: 'tenant.purge',
      resource: e.tenantId,
      resourceType: 'tenant',
      metadata: { slug: e.slug, at: e.at },
    },
  }),
  'quota.overridden': (e) => quotaEvent('quota.update', e, { limit: e.limit }),
  'quota.threshold': (e) =>
    quotaEvent('quota.threshold', e, {
      threshold: e.threshold,
      used: e.used,
      limit: e.limit,
      periodStart: e.periodStart,
    }),
  'quota.exceeded': (e) =>
    quotaEvent('quota.exceeded', e, { used: e.used, limit: e.limit, requested: e.requested }, 'denied'),
  'quota.periodClosed': (e) =>
    quotaEvent('quota.period.close', e, { periodStart: e.periodStart, periodEnd: e.periodEnd }),
  'lease.reclaimed': (e) => quotaEvent('quota.lease.reclaim', e, { count: e.count }),
};

/**
 * Records every @ax/tenancy event in the audit log, with the event's actor, in the tenant it concerns. When the
 * change runs in a transaction the event is written in it (`audit.record(tx, …)`), so both commit or neither;
 * a failure to record fails the change. Returns a function that unsubscribes.
 */
export function wireTenancyAudit<P extends StorePorts>(
  events: TenancyEmitter<P>,
  audit: AuditLog,
): () => void {
  const offs = (Object.keys(MAP) as (keyof TenancyEvents)[]).map((name) =>
    events.on(name, async (e: TenancyEvents[typeof name], { tx }: EventContext<P>) => {
      const m = (MAP[name] as (x: typeof e) => Mapped)(e);
      const ctx = { tenantId: m.tenantId, actor: m.actor };
      if (tx) await audit.record(tx, ctx, m.event);
      else await audit.append(ctx, m.event);
    }),
  );
  return () => {
    for (const off of offs) off();
  };
}
