import { z } from 'zod';

const name = z.string().min(1).max(100);
const dotted = /^[a-z][a-z0-9_-]*(\.[a-z][a-zA-Z0-9_-]*)+$/;

/** Schema of {@link GuardSpec}. */
export const guardSpecSchema = z
  .object({
    /** The permission to hold, e.g. `workflow.execute` (checked with the RBAC catalogue). */
    permission: z.string().regex(dotted, 'expected a dotted permission like "workflow.execute"').max(100),
    /**
     * The object acted on, of the permission's subject type (e.g. the workflow row): conditional grants
     * (`ownerId: '${user.id}'`) are checked against it. Without it, only an unconditional grant allows.
     */
    object: z
      .custom<Record<string, unknown>>(
        (v) => v !== null && typeof v === 'object' && !Array.isArray(v),
        'expected an object',
      )
      .optional(),
    /** Counted quotas to consume, each once (one entry per quota). */
    quotas: z
      .array(z.object({ quota: name, amount: z.number().int().positive().max(Number.MAX_SAFE_INTEGER) }))
      .max(20)
      .refine((qs) => new Set(qs.map((q) => q.quota)).size === qs.length, 'each quota at most once')
      .default([]),
    /** A concurrency slot held while the work runs, renewed every `ttlMs / 3`. */
    concurrency: z
      .object({
        /** Default `concurrentExecutions`. */
        quota: name.optional(),
        ttlMs: z.number().int().min(10).max(86_400_000),
      })
      .optional(),
    /** Retries with the same key consume the quotas once. */
    idempotencyKey: z.string().min(1).max(180).optional(),
    /** The audit action prefix (default: the permission): `<action>.started`, `.completed`, `.failed`, `.denied`. */
    action: z.string().regex(dotted, 'expected a dotted action like "workflow.execute"').max(80).optional(),
    /** Gives the consumed periodic usage back, once, when the work fails. */
    refundOnFailure: z.boolean().default(false),
    /**
     * False for platform actions on a tenant that may be inactive (activate, delete, purge, read a suspended
     * one): step 2 is skipped for whoever is allowed, while a refusal on an inactive tenant still reports
     * TENANT_SUSPENDED with the reason.
     */
    requireActiveTenant: z.boolean().default(true),
    /** Audit resource type and id (default: the permission's subject type and `object.id`). */
    resource: z.object({ type: name.optional(), id: z.string().min(1).max(500).optional() }).optional(),
  })
  .strict();

/** What `guard.run` is asked to guard. */
export type GuardSpec = z.input<typeof guardSpecSchema>;

/** A spec after validation (defaults applied). */
export type ParsedGuardSpec = z.output<typeof guardSpecSchema>;

/** Schema of {@link AuthorizeSpec}: the parts of a guard spec that authorize, without quotas or a lease. */
export const authorizeSpecSchema = guardSpecSchema
  .pick({ permission: true, object: true, action: true, requireActiveTenant: true, resource: true })
  .strict();

/** What `guard.authorize` checks: the permission (on an object), the tenant's status, the audit action. */
export type AuthorizeSpec = z.input<typeof authorizeSpecSchema>;

/** The four audit events the guard appends for an action. */
export const GUARD_EVENT_SUFFIXES = ['started', 'completed', 'failed', 'denied'] as const;

/**
 * The audit actions the guard appends for each of `actions` (permissions or `action` overrides): register
 * them with the AuditLog, `new AuditLog({ actions: guardAuditActions(['workflow.execute']) })`.
 */
export function guardAuditActions(actions: readonly string[]): string[] {
  return actions.flatMap((a) => GUARD_EVENT_SUFFIXES.map((s) => `${a}.${s}`));
}
