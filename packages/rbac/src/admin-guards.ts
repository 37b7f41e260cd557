import {
  type ExecutionContext,
  ForbiddenError,
  NotFoundError,
  type StoredRule,
  ValidationError,
} from '@ax/core';
import { subject as tag } from '@casl/ability';
import type { AdminDeps } from './admin.js';
import { type CompiledPolicy, expandRoles, type RoleDefinition, rulesOfRoles } from './compile.js';
import { assertTenantActive, explainPolicy } from './decide.js';
import type { RbacTx } from './events.js';
import { ALL, MANAGE } from './permissions.js';
import { isSystemRoleName } from './system-roles.js';

// Authorization and escalation guards of the administrative API, and the role-graph checks.

export type Denial =
  | 'missing-permission'
  | 'privilege-escalation'
  | 'system-role-immutable'
  | 'super-admin-required';

export function forbidden(
  denial: Denial,
  message: string,
  details: Record<string, unknown> = {},
): ForbiddenError {
  return new ForbiddenError(message, { details: { denial, ...details } });
}

export const ctxTenant = (ctx: ExecutionContext) => ctx.tenantId;

/** What an administrative permission is checked on: the object (a role, a user) and the fields it changes. */
export interface PermissionTarget {
  object: Record<string, unknown>;
  /** Fields written; each must be allowed (a rule with `fields` covers only those). */
  fields?: readonly string[];
}

/** The object a role is checked as, for conditions on `Role` (`{ name: 'viewer' }`). */
export function roleObject(tenantId: string, name: string): Record<string, unknown> {
  return { tenantId, name, system: isSystemRoleName(name) };
}

/**
 * Refuses unless the actor may use `permission`. With a target, the check is made on that object and for each
 * field written, so a condition (`assign` only `{ name: 'viewer' }`) or a field list (`write` only
 * `description`) on the administrative permission limits what it allows; without one it is a type-level check.
 */
export async function requirePermission(
  deps: AdminDeps,
  ctx: ExecutionContext,
  permission: string,
  target?: PermissionTarget,
): Promise<CompiledPolicy> {
  const policy = await deps.policyOf(ctx);
  assertPermission(policy, deps, permission, target);
  return policy;
}

/** The synchronous part of {@link requirePermission}. */
export function assertPermission(
  policy: CompiledPolicy,
  deps: Pick<AdminDeps, 'catalog'>,
  permission: string,
  target?: PermissionTarget,
): void {
  const { action, subject } = deps.catalog.toRule(permission);
  const fields: (string | undefined)[] = target?.fields?.length ? [...target.fields] : [undefined];
  for (const field of fields) {
    // a fresh tagged copy per check: CASL's `subject()` marks the object it is given
    const on = target ? tag(subject, { ...target.object }) : subject;
    const decision = explainPolicy(policy, action, on, field);
    if (!decision.allowed) {
      assertTenantActive(policy, policy.tenantId);
      throw forbidden(
        'missing-permission',
        `${permission} is required${field ? ` on field ${field}` : ''}: ${decision.reason}`,
        { permission, reason: decision.reason, ...(field ? { field } : {}) },
      );
    }
  }
}

/** True when the actor may use `permission` on the object (filters lists). */
export function allowsOn(
  policy: CompiledPolicy,
  deps: Pick<AdminDeps, 'catalog'>,
  permission: string,
  object: Record<string, unknown>,
): boolean {
  const { action, subject } = deps.catalog.toRule(permission);
  return explainPolicy(policy, action, tag(subject, { ...object })).allowed;
}

export function requirePlatformAdmin(policy: CompiledPolicy, ctx: ExecutionContext): void {
  if (ctx.actor.type === 'system') return;
  // The flag alone is not enough: a suspended super-admin holds nothing, and must not be able to lift its own
  // suspension. The tenant the context names does not matter for platform operations.
  if (policy.superAdmin && policy.state !== 'user-suspended' && policy.state !== 'user-unknown') return;
  throw forbidden('super-admin-required', 'only a platform super-admin or the system operator may do this');
}

const covers = (field: string | string[], value: string, any: string): boolean => {
  const list = [field].flat();
  return value === any || list.includes(value) || list.includes(any);
};

// Conservative: the actor holds (action, subject) only through an unconditional allow over every field, and
// with no deny rule overlapping it anywhere. CASL's possibleRulesFor(action, subject) is not enough for the
// denies: for `manage` it leaves out a deny of one action, and for `all` a deny on one subject, so an admin
// narrowed by "never delete secrets" would still "hold" `*` and could hand it to someone else.
function holds(policy: CompiledPolicy, action: string, subject: string): boolean {
  const allowed = policy.ability
    .possibleRulesFor(action, subject)
    .some((r) => !r.inverted && !r.conditions && !r.fields);
  return (
    allowed &&
    !policy.rules.some(
      (r) =>
        r.inverted &&
        covers(r.action, action, MANAGE) &&
        covers(r.subject as string | string[], subject, ALL),
    )
  );
}

/**
 * Refuses changing rules the actor does not hold itself; `*` (manage all) needs `*`. Granting a deny narrows,
 * so it needs nothing; taking one away (`removing`: revoke, delete, or rewrite a role) widens, so the actor
 * must hold what it denies.
 */
export function assertHoldsAll(
  actor: CompiledPolicy,
  ctx: ExecutionContext,
  rules: readonly StoredRule[],
  what: string,
  removing = false,
) {
  if (ctx.actor.type === 'system') return;
  for (const rule of rules) {
    if (rule.inverted && !removing) continue; // granting a deny never widens anything
    for (const subject of [rule.subject].flat()) {
      for (const action of [rule.action].flat()) {
        if (holds(actor, action, subject)) continue;
        const permission = action === MANAGE && subject === ALL ? '*' : `${action} ${subject}`;
        throw forbidden(
          'privilege-escalation',
          `${what} ${rule.inverted ? 'denies' : 'grants'} ${permission}, which the actor does not hold`,
          {
            missing: permission,
          },
        );
      }
    }
  }
}

export async function tenantRoles(
  db: Pick<RbacTx, 'rbac'>,
  tenantId: string,
): Promise<Map<string, RoleDefinition>> {
  return new Map((await db.rbac.listRoles(tenantId)).map((r) => [r.name, r]));
}

/** Checks `extends` names exist and the graph with `role` in it has no cycle. */
export function checkGraph(role: RoleDefinition, roles: Map<string, RoleDefinition>): void {
  for (const name of role.extends) {
    if (name === role.name) throw new ValidationError(`role ${role.name} cannot extend itself`);
    if (!isSystemRoleName(name) && !roles.has(name))
      throw new NotFoundError(`role ${name} (in extends) not found`);
  }
  const graph = new Map(roles);
  graph.set(role.name, role);
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      const cycle = [...path.slice(path.indexOf(name)), name].join(' -> ');
      throw new ValidationError(`role hierarchy has a cycle: ${cycle}`, [
        { path: ['extends'], message: `cycle ${cycle}`, code: 'custom' },
      ]);
    }
    state.set(name, 'visiting');
    for (const next of graph.get(name)?.extends ?? []) visit(next, [...path, name]);
    state.set(name, 'done');
  };
  visit(role.name, []);
}

export function grantedRules(
  deps: AdminDeps,
  role: RoleDefinition,
  roles: Map<string, RoleDefinition>,
): StoredRule[] {
  const others = new Map(roles);
  others.set(role.name, role);
  return rulesOfRoles(expandRoles([role.name], others), deps.catalog, {}).rules as StoredRule[];
}
