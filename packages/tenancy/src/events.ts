import type { Actor, EventBus, Tenant } from '@ax/core';

/** Fields every tenancy event has. */
export interface EventBase {
  /** When it happened (the service's clock). */
  at: number;
  /** Who did it (the context's actor; the system actor for rollovers, reclaims and thresholds). */
  actor: Actor;
}

/** Every event @ax/tenancy emits, by name. Audit records them. */
export interface TenancyEvents {
  'tenant.created': EventBase & { tenant: Tenant };
  'tenant.updated': EventBase & { tenant: Tenant; previous: Tenant };
  'tenant.planChanged': EventBase & { tenant: Tenant; from: string; to: string };
  'tenant.suspended': EventBase & { tenant: Tenant; reason: string };
  'tenant.activated': EventBase & { tenant: Tenant; previousStatus: Tenant['status'] };
  'tenant.deleted': EventBase & { tenant: Tenant };
  'tenant.purged': EventBase & { tenantId: string; slug: string };
  'quota.overridden': EventBase & { tenantId: string; quota: string; limit: number | null };
  /** A soft quota reached 80, 100 or 120% of its limit; once per period per threshold. */
  'quota.threshold': EventBase & {
    tenantId: string;
    quota: string;
    threshold: number;
    used: number;
    limit: number;
    periodStart: number | null;
  };
  /** A consume or acquire was denied (nothing was written). */
  'quota.exceeded': EventBase & {
    tenantId: string;
    quota: string;
    used: number;
    limit: number;
    requested: number;
  };
  /** A billing period closed; its usage is kept in the history. */
  'quota.periodClosed': EventBase & {
    tenantId: string;
    quota: string;
    periodStart: number;
    periodEnd: number;
  };
  /** Expired leases (crashed holders) were reclaimed. */
  'lease.reclaimed': EventBase & { tenantId: string; quota: string; count: number };
}

/**
 * The event bus @ax/tenancy's services share: core's {@link EventBus} over {@link TenancyEvents}, whose
 * in-transaction listeners receive the transaction's ports `P`.
 */
export type TenancyEventBus<P> = EventBus<TenancyEvents, P>;
