import { leaseIdSchema, slugSchema, tenantIdSchema, tenantStatusSchema } from '@ax/core';
import { z } from 'zod';
import { limitSchema, planNameSchema, quotaNameSchema } from './plans.js';

export { tenantIdSchema };
/** A tenant id or slug. */
export const tenantRefSchema = z.union([tenantIdSchema, slugSchema]);
/** Day of month billing periods start on, or null for calendar months. */
export const anchorDaySchema = z.number().int().min(1).max(31).nullable();
/** A positive safe integer amount. */
export const amountSchema = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

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

const idempotencyKeySchema = z.string().min(1).max(255);

/** Input of `consume`: strict, so a smuggled `tenantId` (the tenant comes from the context) is refused. */
export const consumeSchema = z
  .object({ quota: quotaNameSchema, amount: amountSchema, idempotencyKey: idempotencyKeySchema.optional() })
  .strict();

export const releaseSchema = z.object({ quota: quotaNameSchema, amount: amountSchema }).strict();

export const refundSchema = z
  .object({ quota: quotaNameSchema, idempotencyKey: idempotencyKeySchema })
  .strict();

/** A lease TTL: 1 ms to 7 days. */
export const ttlMsSchema = z
  .number()
  .int()
  .min(1)
  .max(7 * 24 * 3_600_000);

/** Options of `acquireSlot`: strict, so a stray field (a smuggled `tenantId`, a misspelt `ttl`) is refused. */
export const acquireSchema = z
  .object({
    ttlMs: ttlMsSchema,
    holder: z.string().min(1).max(200).optional(),
    quota: quotaNameSchema.default('concurrentExecutions'),
  })
  .strict();

/** A lease as callers hold it: its id, and its tenant when known (checked against the context's). */
const leaseRefSchema = z.object({
  id: leaseIdSchema,
  tenantId: tenantIdSchema.optional(),
  ttlMs: ttlMsSchema.optional(),
});

export const renewSchema = z.object({ lease: leaseRefSchema, ttlMs: ttlMsSchema.optional() }).strict();

export const releaseSlotSchema = z.object({ lease: leaseRefSchema }).strict();

export const overrideSchema = z.object({ quota: quotaNameSchema, limit: limitSchema.nullable() }).strict();

export const historySchema = z.object({ quota: quotaNameSchema.optional() }).strict().default({});

export const changePlanSchema = z.object({ plan: planNameSchema }).strict();

export const suspendSchema = z.object({ reason: z.string().trim().min(1).max(500) }).strict();

/** The `{ tx }` options: anything with ports (checked by use); strict, so a leftover `{ actor }` is refused. */
export const txOptionsSchema = z.object({ tx: z.unknown().optional() }).strict().optional();
