import type { AuditEventInput, AuditLog } from '@ax/audit';
import type { Actor, StorePorts } from '@ax/core';
import type { ChangeEvent, RbacEvents, TypedEmitter as RbacTypedEmitter } from '@ax/rbac';
import type { SecretChangeRecorder, SecretEvent, SecretEvents } from '@ax/secrets';
import type { TenancyEventBus, TenancyEvents } from '@ax/tenancy';

type RbacEmitter = RbacTypedEmitter<RbacEvents>;

/** Actions the wiring records beyond the built-in catalog; registered with the app's AuditLog. */
export const APP_AUDIT_ACTIONS: readonly string[] = [
  'secret.update',
  'user.activate',
  'superadmin.grant',
  'superadmin.revoke',
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
 * Records every @ax/tenancy event in the audit log, with the event's actor, in the tenant it concerns. Each is an
 * in-transaction listener: the event is written in the change's transaction (`audit.record(tx, …)`), so both
 * commit or neither, and a failure to record fails the change. (@ax/tenancy emits every event inside a
 * transaction when it has in-transaction listeners: refusals get a transaction of their own.) Returns a
 * function that unsubscribes.
 */
export function wireTenancyAudit<P extends StorePorts>(
  events: TenancyEventBus<P>,
  audit: AuditLog,
): () => void {
  const offs = (Object.keys(MAP) as (keyof TenancyEvents)[]).map((name) =>
    events.inTransaction(name, async (e: TenancyEvents[typeof name], { tx }) => {
      const m = (MAP[name] as (x: typeof e) => Mapped)(e);
      await audit.record(tx, { tenantId: m.tenantId, actor: m.actor }, m.event);
    }),
  );
  return () => {
    for (const off of offs) off();
  };
}

// Audit writes started by synchronous listeners (secret reads, denied decisions): awaited before a command
// closes its store.
const pending = new Set<Promise<unknown>>();

/** Tracks an audit write started outside an awaited path (sync event listeners). */
export function trackAudit(p: Promise<unknown>): void {
  const tracked: Promise<unknown> = p.finally(() => pending.delete(tracked));
  pending.add(tracked);
  tracked.catch(() => undefined); // reported by flushAudit
}

/** Waits for every tracked audit write; rejects with the first failure. */
export async function flushAudit(): Promise<void> {
  while (pending.size > 0) await Promise.all([...pending]);
}

const SECRET_ACTIONS: Record<SecretEvent['type'], string> = {
  created: 'secret.create',
  updated: 'secret.update',
  accessed: 'secret.read',
  deleted: 'secret.delete',
};

/**
 * Records secret changes (create, update, delete) with the key and version, never the value, inside the
 * change's own transaction (the secrets manager's `recordChange`): the change and its audit event commit
 * together or not at all.
 */
export function recordSecretChanges(log: AuditLog): SecretChangeRecorder {
  return async (e, tx) => {
    if (!tx.audit) throw new Error('secret change recorder needs a transaction with the audit port');
    await log.record(
      { audit: tx.audit },
      { tenantId: e.tenantId, actor: e.actor, requestId: e.requestId },
      {
        action: SECRET_ACTIONS[e.type],
        resource: e.key,
        resourceType: 'secret',
        metadata: { version: e.version, at: e.at },
      },
    );
  };
}

/**
 * Records secret reads. A read changes nothing, so there is no transaction to join: the synchronous event
 * starts the write, which is tracked and flushed before the command ends.
 */
export function wireSecretReadsAudit(events: SecretEvents, audit: () => Promise<AuditLog>): () => void {
  return events.on('accessed', (e) => {
    trackAudit(
      audit().then((log) =>
        log.append(
          { tenantId: e.tenantId, actor: e.actor, requestId: e.requestId },
          {
            action: SECRET_ACTIONS[e.type],
            resource: e.key,
            resourceType: 'secret',
            metadata: { version: e.version, at: e.at },
          },
        ),
      ),
    );
  });
}

const RBAC_ACTIONS: Record<ChangeEvent['type'], string> = {
  'role.created': 'role.create',
  'role.updated': 'role.update',
  'role.deleted': 'role.delete',
  'role.assigned': 'role.assign',
  'role.revoked': 'role.unassign',
  'user.created': 'user.create',
  'user.suspended': 'user.suspend',
  'user.activated': 'user.activate',
  'superadmin.granted': 'superadmin.grant',
  'superadmin.revoked': 'superadmin.revoke',
};

/** Chain that platform-level changes (no tenant: user status, super-admin) are recorded in. */
export const PLATFORM_AUDIT_TENANT = 'platform';

/**
 * Records rbac changes inside their transaction (both commit or neither) and, unless `denied: false`,
 * denied decisions as `policy.denied` (tracked writes: decisions are emitted synchronously).
 */
export function wireRbacAudit(
  events: RbacEmitter,
  audit: () => Promise<AuditLog>,
  opts: { denied?: boolean } = {},
): () => void {
  const offs = [
    events.on('change', async (e) => {
      const log = await audit();
      const ctx = { tenantId: e.tenantId ?? PLATFORM_AUDIT_TENANT, actor: e.actor };
      const event: AuditEventInput = {
        action: RBAC_ACTIONS[e.type],
        // assignments and user changes concern a user (the role goes in metadata); role changes a role
        resource: e.target.userId ?? e.target.role ?? null,
        resourceType: e.target.userId ? 'user' : 'role',
        metadata: { ...e.target, at: e.at },
      };
      if (e.tx.audit) await log.record({ audit: e.tx.audit }, ctx, event);
      else await log.append(ctx, event);
    }),
  ];
  if (opts.denied !== false) {
    offs.push(
      events.on('decision', (d) => {
        if (d.allowed) return;
        trackAudit(
          audit().then((log) =>
            log.append(
              { tenantId: d.tenantId, actor: d.actor },
              {
                action: 'policy.denied',
                outcome: 'denied',
                resource: d.subject,
                resourceType: 'permission',
                reason: d.reason,
                metadata: {
                  action: d.action,
                  subject: d.subject,
                  field: d.field,
                  role: d.role,
                  source: d.source,
                },
              },
            ),
          ),
        );
      }),
    );
  }
  return () => {
    for (const off of offs) off();
  };
}
