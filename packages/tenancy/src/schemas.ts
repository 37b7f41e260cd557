import { actorSchema, idSchema, slugSchema, tenantStatusSchema } from '@ax/core';
import { z } from 'zod';
import { limitSchema, planNameSchema, quotaNameSchema } from './plans.js';

/** A tenant id (`tnt_…`). */
export const tenantIdSchema = idSchema('tenant');
/** A tenant id or slug. */
export const tenantRefSchema = z.union([tenantIdSchema, slugSchema]);
/** Day of month billing periods start on, or null for calendar months. */
export const anchorDaySchema = z.number().int().min(1).max(31).nullable();
/** A positive safe integer amount. */
export const amountSchema = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
/** Who is acting. */
export const changeOptionsSchema = z
  .object({ actor: actorSchema.optional(), tx: z.unknown().optional() })
  .optional();

export const createTenantSchema = z.object({
  name: z.string().trim().min(1).max(200),
  slug: slugSchema,
  plan: planNameSchema.default('free'),
  billingAnchorDay: anchorDaySchema.default(null),
  overrides: z.record(quotaNameSchema, limitSchema).optional(),
});

export const updateTenantSchema = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    billingAnchorDay: anchorDaySchema.optional(),
  })
  .strict();

export const listTenantsSchema = z
  .object({
    cursor: tenantIdSchema.optional(),
    limit: z.number().int().min(1).max(500).default(50),
    status: z.array(tenantStatusSchema).optional(),
  })
  .default({ limit: 50 });

export const reasonSchema = z.string().trim().min(1).max(500);

export const consumeSchema = z.object({
  tenantId: tenantIdSchema,
  quota: quotaNameSchema,
  amount: amountSchema,
  idempotencyKey: z.string().min(1).max(255).optional(),
});

export const releaseSchema = z.object({
  tenantId: tenantIdSchema,
  quota: quotaNameSchema,
  amount: amountSchema,
});

/** Options of `acquireSlot`: strict, so a stray field (a smuggled `tenantId`, a misspelt `ttl`) is refused. */
export const acquireSchema = z
  .object({
    ttlMs: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 3_600_000),
    holder: z.string().min(1).max(200).optional(),
    quota: quotaNameSchema.default('concurrentExecutions'),
  })
  .strict();

export const leaseRefSchema = z.object({ id: idSchema('lease'), tenantId: tenantIdSchema });

export const overrideSchema = z.object({
  tenantId: tenantIdSchema,
  quota: quotaNameSchema,
  limit: limitSchema.nullable(),
});
