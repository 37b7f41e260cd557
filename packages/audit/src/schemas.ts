import { actorSchema } from '@ax/core';
import { z } from 'zod';
import { ACTION_PATTERN } from './actions.js';

const text = (max: number) => z.string().max(max);

/** Schema for what a caller records: the context supplies tenant, actor, ip, user agent and request id. */
export const auditEventInputSchema = z.object({
  action: z.string().regex(ACTION_PATTERN, 'expected a dotted action like "role.assign"').max(100),
  outcome: z.enum(['success', 'failure', 'denied']).default('success'),
  resource: text(500).nullish(),
  resourceType: text(100).nullish(),
  reason: text(2000).nullish(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  /** Overrides the context's actor, e.g. an unknown user in a failed login. */
  actor: actorSchema.optional(),
});

/** What a caller passes to `append` / `record`. */
export type AuditEventInput = z.input<typeof auditEventInputSchema>;

const seq = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const tenantId = z.string().min(1).max(200);

/** Schema for {@link AuditLog.query} filters. */
export const auditQuerySchema = z
  .object({
    tenantId: tenantId.optional(),
    /** Set by a platform-level caller to query across tenants (tenantId omitted). */
    allTenants: z.boolean().optional(),
    actorId: z.string().min(1).max(200).optional(),
    actorType: z.enum(['user', 'apiKey', 'system']).optional(),
    action: z.string().min(1).max(100).optional(),
    actionPrefix: z.string().min(1).max(100).optional(),
    resource: z.string().min(1).max(500).optional(),
    resourceType: z.string().min(1).max(100).optional(),
    outcome: z.enum(['success', 'failure', 'denied']).optional(),
    since: z.number().int().optional(),
    until: z.number().int().optional(),
    cursor: z.string().max(40).optional(),
    limit: z.number().int().min(1).max(1000).default(100),
  })
  .refine((f) => f.tenantId !== undefined || f.allTenants === true, {
    message: 'tenantId is required unless a platform-level caller sets allTenants',
    path: ['tenantId'],
  });

/** Filters for {@link AuditLog.query}. */
export type AuditQuery = z.input<typeof auditQuerySchema>;

/** A checkpoint as published (hex fields): what `ax audit checkpoint --out` writes. */
export const publishedCheckpointSchema = z.object({
  tenantId,
  seq: z.number().int().min(0),
  headHash: z.string().regex(/^[0-9a-f]{64}$/),
  time: z.number().int(),
  keyVersion: z.number().int().min(0),
  mac: z.string().regex(/^[0-9a-f]+$/),
});

/** A signed checkpoint in its portable form. */
export type PublishedCheckpoint = z.infer<typeof publishedCheckpointSchema>;

/** Schema for {@link AuditLog.verify} options. */
export const verifyOptionsSchema = z.object({
  from: seq.optional(),
  to: seq.optional(),
  checkpoint: publishedCheckpointSchema.optional(),
});

/** Options for {@link AuditLog.verify}. */
export type VerifyOptions = z.input<typeof verifyOptionsSchema>;

export const tenantIdSchema = tenantId;
