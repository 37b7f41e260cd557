import type { StoredRule } from '@ax/core';
import { z } from 'zod';
import { ALL, type PermissionCatalog } from './permissions.js';

/** Keys that could reach an object's prototype; refused anywhere in a rule, a role or a condition. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Placeholders a condition value may be; replaced by data when an ability is built, never parsed. */
export const PLACEHOLDERS = {
  '${user.id}': 'user.id',
  '${tenant.id}': 'tenant.id',
} as const;

/** Comparison operators allowed on a field. `$regex` is left out: ReDoS, and no portable SQL rendering. */
export const FIELD_OPERATORS = [
  '$eq',
  '$ne',
  '$lt',
  '$lte',
  '$gt',
  '$gte',
  '$in',
  '$nin',
  '$exists',
] as const;
// Top-level `$and`, `$or` and `$nor` are refused with every other `$` key: CASL's mongo matcher does not
// interpret them (it reads `$or` as a field name, so an inverted rule using it would silently deny nothing).
// OR is two rules, AND is several fields in one condition, NOR is an inverted rule.

const SEGMENT = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** A dotted field path (`owner.id`); no segment may be a prototype key. */
export const fieldPathSchema = z
  .string()
  .min(1)
  .max(200)
  .refine(
    (p) => p.split('.').every((s) => SEGMENT.test(s) && !FORBIDDEN_KEYS.has(s)),
    'field path must be dotted identifiers, none of them __proto__, constructor or prototype',
  );

const stringValue = z
  .string()
  .max(1000)
  .refine(
    (s) => !s.includes('${') || Object.hasOwn(PLACEHOLDERS, s),
    'the only placeholders are a whole value of ${user.id} or ${tenant.id}',
  );
const scalar = z.union([stringValue, z.number().finite(), z.boolean(), z.null()]);
const scalarList = z.array(scalar).max(1000);

const operatorObject = z
  .object({
    $eq: scalar,
    $ne: scalar,
    $lt: z.union([stringValue, z.number().finite()]),
    $lte: z.union([stringValue, z.number().finite()]),
    $gt: z.union([stringValue, z.number().finite()]),
    $gte: z.union([stringValue, z.number().finite()]),
    $in: scalarList,
    $nin: scalarList,
    $exists: z.boolean(),
  })
  .partial()
  .strict()
  .refine((o) => Object.keys(o).length > 0, 'an operator object needs at least one operator');

/** A condition as stored: fields mapped to a value or an operator object, combined with $and/$or/$nor. */
export type Condition = { [key: string]: unknown };

function conditionSchema(): z.ZodType<Condition> {
  return z.record(z.string(), z.unknown()).superRefine((obj, ctx) => {
    const keys = Object.keys(obj);
    if (keys.length === 0) ctx.addIssue({ code: 'custom', message: 'empty condition' });
    if (keys.length > 100) ctx.addIssue({ code: 'custom', message: 'too many keys' });
    for (const key of keys) {
      if (key.startsWith('$')) {
        ctx.addIssue({ code: 'custom', path: [key], message: `unknown operator ${key}` });
        continue;
      }
      if (!fieldPathSchema.safeParse(key).success) {
        ctx.addIssue({ code: 'custom', path: [key], message: `invalid field ${JSON.stringify(key)}` });
        continue;
      }
      const value = obj[key];
      const result =
        value !== null && typeof value === 'object' && !Array.isArray(value)
          ? operatorObject.safeParse(value)
          : scalar.safeParse(value);
      for (const issue of result.error?.issues ?? []) {
        ctx.addIssue({ ...issue, code: 'custom', path: [key, ...issue.path] } as never);
      }
    }
  }) as unknown as z.ZodType<Condition>;
}

const oneOrMany = (item: z.ZodType<string>) => z.union([item, z.array(item).min(1).max(50)]);

/** The zod schema of a raw rule, checked against `catalog` (actions and subjects must be known). */
export function ruleSchema(catalog: PermissionCatalog<string>): z.ZodType<StoredRule> {
  return z
    .object({
      action: oneOrMany(z.string().min(1).max(64)),
      subject: oneOrMany(z.string().min(1).max(64)),
      conditions: conditionSchema().optional(),
      fields: oneOrMany(fieldPathSchema).optional(),
      inverted: z.boolean().optional(),
      reason: z.string().max(500).optional(),
    })
    .strict()
    .superRefine((rule, ctx) => {
      const subjects = [rule.subject].flat();
      const actions = [rule.action].flat();
      for (const s of subjects) {
        if (!catalog.isSubject(s)) {
          ctx.addIssue({
            code: 'custom',
            path: ['subject'],
            message: `unknown subject ${JSON.stringify(s)}`,
          });
          continue;
        }
        for (const a of actions) {
          if (!catalog.isAction(a, s)) {
            ctx.addIssue({
              code: 'custom',
              path: ['action'],
              message: `unknown action ${JSON.stringify(a)} on ${s}`,
            });
          }
        }
      }
      if (rule.conditions && subjects.includes(ALL)) {
        ctx.addIssue({
          code: 'custom',
          path: ['conditions'],
          message: 'conditions on subject "all"',
        });
      }
    }) as z.ZodType<StoredRule>;
}

/** Refuses prototype keys and non-plain objects anywhere in `value`, before any schema sees it. */
export function withoutPrototypeKeys<S extends z.ZodType>(schema: S): z.ZodType<z.output<S>> {
  return z
    .unknown()
    .superRefine((value, ctx) => walk(value, [], 0, ctx))
    .pipe(schema) as unknown as z.ZodType<z.output<S>>;
}

function walk(value: unknown, path: (string | number)[], depth: number, ctx: z.RefinementCtx): void {
  if (value === null || typeof value !== 'object') return;
  if (depth > 32) {
    ctx.addIssue({ code: 'custom', path, message: 'input nests too deep' });
    return;
  }
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) walk(v, [...path, i], depth + 1, ctx);
    return;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    ctx.addIssue({
      code: 'custom',
      path,
      message: 'only plain objects are accepted',
    });
    return;
  }
  for (const key of Reflect.ownKeys(value)) {
    if (typeof key === 'symbol') {
      ctx.addIssue({
        code: 'custom',
        path,
        message: 'symbol keys are not accepted',
      });
      continue;
    }
    if (FORBIDDEN_KEYS.has(key)) {
      ctx.addIssue({
        code: 'custom',
        path: [...path, key],
        message: `forbidden key ${key}`,
      });
      continue;
    }
    walk((value as Record<string, unknown>)[key], [...path, key], depth + 1, ctx);
  }
}

/** Role names: lower-case, digits, dashes and underscores. */
export const roleNameSchema = z
  .string()
  .min(2)
  .max(63)
  .regex(/^[a-z][a-z0-9_-]*$/, 'role name must be lower-case letters, digits, dashes and underscores');

/** What a caller gives to create a role. Unknown keys (such as `isSystemRole`) are refused. */
export interface RoleInput {
  name: string;
  description?: string | undefined;
  permissions?: string[] | undefined;
  rules?: StoredRule[] | undefined;
  extends?: string[] | undefined;
}

/** What a caller gives to change a role. */
export type RolePatchInput = Omit<RoleInput, 'name'>;

function roleFields(catalog: PermissionCatalog<string>) {
  return {
    description: z.string().max(500).optional(),
    permissions: z
      .array(
        z
          .string()
          .max(100)
          .refine((p) => catalog.has(p), 'unknown permission'),
      )
      .max(500)
      .optional(),
    rules: z.array(ruleSchema(catalog)).max(500).optional(),
    extends: z.array(roleNameSchema).max(50).optional(),
  };
}

/** Schema of {@link RoleInput}, strict. */
export function roleInputSchema(catalog: PermissionCatalog<string>): z.ZodType<RoleInput> {
  return withoutPrototypeKeys(z.object({ name: roleNameSchema, ...roleFields(catalog) }).strict());
}

/** Schema of {@link RolePatchInput}, strict. */
export function rolePatchSchema(catalog: PermissionCatalog<string>): z.ZodType<RolePatchInput> {
  return withoutPrototypeKeys(z.object(roleFields(catalog)).strict());
}
