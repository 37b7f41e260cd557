import type { AuditEventInput, AuditLog } from '@ax/audit';
import { type Actor, PLATFORM_TENANT_ID, type StorePorts } from '@ax/core';
import type { ChangeEvent, DecisionEvent, RbacEventBus } from '@ax/rbac';
import type { SecretEvent, SecretEventBus } from '@ax/secrets';
import type { TenancyEventBus, TenancyEvents } from '@ax/tenancy';
import { type AuditSink, currentAuditSink } from './audit-sink.js';

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
  audit: () => Promise<AuditLog>,
): () => void {
  const offs = (Object.keys(MAP) as (keyof TenancyEvents)[]).map((name) =>
    events.inTransaction(name, async (e: TenancyEvents[typeof name], { tx }) => {
      const m = (MAP[name] as (x: typeof e) => Mapped)(e);
      await (await audit()).record(tx, { tenantId: m.tenantId, actor: m.actor }, m.event);
    }),
  );
  return () => {
    for (const off of offs) off();
  };
}

export { type AuditSink, createAuditSink, currentAuditSink, runWithAuditSink } from './audit-sink.js';

/** Options of the wiring functions that record observations (denied decisions, what-if checks). */
export interface ObservationWiringOptions {
  /** Where observation writes are tracked: default, the current request's sink ({@link currentAuditSink}). */
  sink?: () => AuditSink | undefined;
  /** Where a write made with no sink in scope reports its failure (default: a process warning). */
  onError?: (err: unknown) => void;
}

function tracker(opts: ObservationWiringOptions): (write: Promise<unknown>) => void {
  const sinkOf = opts.sink ?? currentAuditSink;
  const onError =
    opts.onError ??
    ((err: unknown) =>
      process.emitWarning(
        `an audit event could not be written: ${err instanceof Error ? err.message : String(err)}`,
      ));
  return (write) => {
    const sink = sinkOf();
    if (sink) sink.track(write);
    else write.catch(onError);
  };
}

// ---- secrets ---------------------------------------------------------------------------------------------

const SECRET_ACTIONS: Record<SecretEvent['type'], string> = {
  created: 'secret.create',
  updated: 'secret.update',
  accessed: 'secret.read',
  deleted: 'secret.delete',
};

/**
 * Records secret changes (create, update, delete) and reads with the key and version, never the value, as
 * in-transaction listeners: a change and its audit event commit together or not at all, and a read whose
 * audit append fails fails too (fail closed, as Vault does when its audit device fails). Returns a function
 * that unsubscribes.
 */
export function wireSecretsAudit(events: SecretEventBus, audit: () => Promise<AuditLog>): () => void {
  const offs = (Object.keys(SECRET_ACTIONS) as SecretEvent['type'][]).map((type) =>
    events.inTransaction(type, async (e, { tx }) => {
      if (!tx.audit) throw new Error('secret audit needs a transaction with the audit port');
      await (await audit()).record(
        { audit: tx.audit },
        { tenantId: e.tenantId, actor: e.actor, requestId: e.requestId },
        {
          action: SECRET_ACTIONS[e.type],
          resource: e.key,
          resourceType: 'secret',
          metadata: { version: e.version, at: e.at },
        },
      );
    }),
  );
  return () => {
    for (const off of offs) off();
  };
}

// ---- rbac --------------------------------------------------------------------------------------------------

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

/**
 * The audit event of a decision worth recording, or null: a denied check as `policy.denied` by the actor who
 * tried; a what-if check (`Rbac.checkFor`) as `policy.decision` by the actor who asked, whatever it answered,
 * with the principal it was about in the metadata (never as that principal's denial).
 */
export function decisionAuditEvent(d: DecisionEvent): AuditEventInput | null {
  const metadata = {
    action: d.action,
    subject: d.subject,
    field: d.field,
    role: d.role,
    source: d.source,
  };
  if (d.whatIf) {
    return {
      action: 'policy.decision',
      outcome: 'success',
      resource: d.subject,
      resourceType: 'permission',
      reason: d.reason,
      metadata: {
        ...metadata,
        whatIf: true,
        principal: { type: d.principal.type, id: d.principal.id },
        decision: d.outcome,
      },
    };
  }
  if (d.allowed) return null;
  return {
    action: 'policy.denied',
    outcome: 'denied',
    resource: d.subject,
    resourceType: 'permission',
    reason: d.reason,
    metadata,
  };
}

/**
 * Records rbac changes inside their transaction (both commit or neither) and, unless `denied: false`, denied
 * decisions and what-if checks (see {@link decisionAuditEvent}): after-commit observations, tracked in the
 * request's {@link AuditSink}. Returns a function that unsubscribes.
 */
export function wireRbacAudit(
  events: RbacEventBus,
  audit: () => Promise<AuditLog>,
  opts: { denied?: boolean } & ObservationWiringOptions = {},
): () => void {
  const offs = [
    events.inTransaction('change', async (e, { tx }) => {
      const log = await audit();
      const ctx = { tenantId: e.tenantId ?? PLATFORM_TENANT_ID, actor: e.actor };
      const principal = e.target.userId ?? e.target.apiKeyId;
      const event: AuditEventInput = {
        action: RBAC_ACTIONS[e.type],
        // assignments and user changes concern a user or an API key (the role goes in metadata); role
        // changes a role
        resource: principal ?? e.target.role ?? null,
        resourceType: e.target.apiKeyId ? 'apiKey' : e.target.userId ? 'user' : 'role',
        metadata: { ...e.target, at: e.at },
      };
      if (tx.audit) await log.record({ audit: tx.audit }, ctx, event);
      else await log.append(ctx, event);
    }),
  ];
  if (opts.denied !== false) {
    const track = tracker(opts);
    offs.push(
      events.afterCommit('decision', (d) => {
        const event = decisionAuditEvent(d);
        if (!event) return;
        track(audit().then((log) => log.append({ tenantId: d.tenantId, actor: d.actor }, event)));
      }),
    );
  }
  return () => {
    for (const off of offs) off();
  };
}
