import { type QuotaEnforcement, type QuotaKind, ValidationError } from '@ax/core';
import { z } from 'zod';

/** A quota name: a letter, then letters and digits (camelCase), at most 63 characters. */
export const quotaNameSchema = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9]{0,62}$/, 'quota names are a letter followed by letters and digits');

/** A plan name: lower-case letters, digits and dashes, starting with a letter. */
export const planNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, 'plan names are lower-case letters, digits and dashes');

/** A limit: a non-negative safe integer, or -1 for unlimited. */
export const limitSchema = z.number().int().min(-1).max(Number.MAX_SAFE_INTEGER);

/** What a quota counts and how. */
export interface QuotaDefinition {
  name: string;
  /** `counter` goes up and down (workflows, storage); `periodic` resets each billing period; `concurrency` is held by leases. */
  kind: QuotaKind;
  unit: 'count' | 'bytes';
  description: string;
}

/** A plan: a limit per quota (missing quotas get 0), and which quotas are soft. */
export interface PlanDefinition {
  name: string;
  limits: Readonly<Record<string, number>>;
  /** Quotas that allow going over and report 80/100/120% thresholds instead of denying. */
  soft?: readonly string[];
}

const MiB = 1024 * 1024;

/** The built-in quotas. */
export const BUILT_IN_QUOTAS: readonly QuotaDefinition[] = Object.freeze([
  { name: 'workflows', kind: 'counter', unit: 'count', description: 'workflows defined' },
  {
    name: 'executionsThisMonth',
    kind: 'periodic',
    unit: 'count',
    description: 'executions per billing period',
  },
  {
    name: 'concurrentExecutions',
    kind: 'concurrency',
    unit: 'count',
    description: 'executions running at once',
  },
  { name: 'storageBytes', kind: 'counter', unit: 'bytes', description: 'storage used' },
  { name: 'apiCallsThisMonth', kind: 'periodic', unit: 'count', description: 'API calls per billing period' },
]);

/** The built-in plans, with the seed design's figures (-1 is unlimited; storage in bytes, MB = MiB). */
export const BUILT_IN_PLANS: readonly PlanDefinition[] = Object.freeze([
  {
    name: 'free',
    limits: {
      workflows: 5,
      executionsThisMonth: 100,
      concurrentExecutions: 2,
      storageBytes: 100 * MiB,
      apiCallsThisMonth: 1_000,
    },
  },
  {
    name: 'pro',
    limits: {
      workflows: 50,
      executionsThisMonth: 10_000,
      concurrentExecutions: 10,
      storageBytes: 1024 * MiB,
      apiCallsThisMonth: 100_000,
    },
  },
  {
    name: 'enterprise',
    limits: {
      workflows: -1,
      executionsThisMonth: -1,
      concurrentExecutions: 50,
      storageBytes: -1,
      apiCallsThisMonth: -1,
    },
  },
]);

const quotaDefinitionSchema = z.object({
  name: quotaNameSchema,
  kind: z.enum(['counter', 'periodic', 'concurrency']),
  unit: z.enum(['count', 'bytes']).default('count'),
  description: z.string().max(200).default(''),
});

const planDefinitionSchema = z.object({
  name: planNameSchema,
  limits: z.record(quotaNameSchema, limitSchema),
  soft: z.array(quotaNameSchema).optional(),
});

/** Input accepted by {@link PlanCatalog.defineQuota}. */
export type QuotaDefinitionInput = z.input<typeof quotaDefinitionSchema>;

/**
 * The quotas and plans a deployment knows: the built-in ones plus custom ones. Plans live in code or
 * configuration; a tenant stores its plan's name, and its quota rows store the limits in force.
 */
export class PlanCatalog {
  readonly #quotas = new Map<string, QuotaDefinition>();
  readonly #plans = new Map<string, PlanDefinition>();

  constructor(custom: { quotas?: readonly QuotaDefinitionInput[]; plans?: readonly PlanDefinition[] } = {}) {
    for (const q of BUILT_IN_QUOTAS) this.#quotas.set(q.name, q);
    for (const p of BUILT_IN_PLANS) this.#plans.set(p.name, p);
    for (const q of custom.quotas ?? []) this.defineQuota(q);
    for (const p of custom.plans ?? []) this.definePlan(p);
  }

  /** Adds (or replaces) a quota definition. */
  defineQuota(input: QuotaDefinitionInput): QuotaDefinition {
    const def = Object.freeze(parseInputStrict(quotaDefinitionSchema, input, 'quota definition'));
    this.#quotas.set(def.name, def);
    return def;
  }

  /** Adds (or replaces) a plan. Its quotas must be defined; concurrency quotas cannot be soft. */
  definePlan(input: PlanDefinition): PlanDefinition {
    const plan = parseInputStrict(planDefinitionSchema, input, 'plan definition');
    for (const name of [...Object.keys(plan.limits), ...(plan.soft ?? [])]) this.quota(name);
    for (const name of plan.soft ?? []) {
      if (this.quota(name).kind === 'concurrency') {
        throw new ValidationError(`plan ${plan.name}: concurrency quota ${name} cannot be soft`, [
          { path: ['soft'], message: 'concurrency quotas are always hard', code: 'custom' },
        ]);
      }
    }
    const frozen: PlanDefinition = Object.freeze({
      name: plan.name,
      limits: Object.freeze({ ...plan.limits }),
      soft: Object.freeze([...(plan.soft ?? [])]),
    });
    this.#plans.set(frozen.name, frozen);
    return frozen;
  }

  /** The quota definition, or a ValidationError naming the unknown quota. */
  quota(name: string): QuotaDefinition {
    const def = this.#quotas.get(name);
    if (!def) {
      throw new ValidationError(`unknown quota ${JSON.stringify(name)}`, [
        { path: ['quota'], message: 'unknown quota', code: 'custom' },
      ]);
    }
    return def;
  }

  /** True when a quota of that name is defined. */
  hasQuota(name: string): boolean {
    return this.#quotas.has(name);
  }

  /** The plan, or a ValidationError naming the unknown plan. */
  plan(name: string): PlanDefinition {
    const plan = this.#plans.get(name);
    if (!plan) {
      throw new ValidationError(`unknown plan ${JSON.stringify(name)}`, [
        { path: ['plan'], message: 'unknown plan', code: 'custom' },
      ]);
    }
    return plan;
  }

  /** Every quota definition. */
  quotas(): QuotaDefinition[] {
    return [...this.#quotas.values()];
  }

  /** Every plan. */
  plans(): PlanDefinition[] {
    return [...this.#plans.values()];
  }

  /** The enforcement a plan gives a quota. */
  enforcement(plan: PlanDefinition, quota: string): QuotaEnforcement {
    return plan.soft?.includes(quota) ? 'soft' : 'hard';
  }
}

function parseInputStrict<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success) throw ValidationError.fromZod(r.error, what);
  return r.data;
}
