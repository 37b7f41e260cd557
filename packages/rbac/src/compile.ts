import type { StoredRule } from '@ax/core';
import { buildMongoQueryMatcher, createMongoAbility, type MongoAbility, type RawRuleOf } from '@casl/ability';
import { ALL, MANAGE, type PermissionCatalog } from './permissions.js';
import { PLACEHOLDERS } from './rule-schema.js';
import { systemRole } from './system-roles.js';

/** The CASL ability type @ax/rbac builds: string actions and subjects, mongo-style conditions. */
export type AxAbility = MongoAbility;
/** A raw CASL rule of an {@link AxAbility}. */
export type AxRawRule = RawRuleOf<AxAbility>;

function normalize(v: unknown): unknown {
  return v instanceof Date ? v.getTime() : v;
}

/**
 * CASL's default compare uses JavaScript's `<`, so `null < 5` and `undefined < 'a'` hold. Here values of
 * different types (and null or undefined) are incomparable: no range operator matches them, as in SQL and
 * MongoDB, so in-memory checks and `toSql` filters select the same rows.
 */
function compareStrict(a: unknown, b: unknown): 0 | 1 | -1 {
  const x = normalize(a);
  const y = normalize(b);
  if (x === y) return 0;
  if (x == null || y == null || typeof x !== typeof y) return Number.NaN as never;
  return (x as number) > (y as number) ? 1 : -1;
}

const conditionsMatcher = buildMongoQueryMatcher({}, {}, { compare: compareStrict });

/** A CASL ability with @ax's conditions matcher (strict comparisons). Every ability @ax/rbac hands out is one. */
export function createAxAbility(rules: readonly AxRawRule[]): AxAbility {
  return createMongoAbility<AxAbility>(rules as AxRawRule[], { conditionsMatcher });
}

/** Where a rule came from. */
export interface RuleOrigin {
  /** The role that holds the rule; null for the super-admin and system grants. */
  readonly role: string | null;
  /** The permission string it was made from, when it came from one. */
  readonly permission: string | null;
  readonly source: 'role' | 'super-admin' | 'system';
}

/** Why a principal has no permissions at all, or `active` when it may have some. */
export type PrincipalState =
  | 'active'
  | 'user-suspended'
  | 'user-unknown'
  | 'tenant-suspended'
  | 'tenant-unknown'
  | 'unsupported-actor'
  /** Acting on the platform pseudo-tenant (installation-wide actions) without the super-admin flag. */
  | 'platform-only';

/** A role definition as the compiler sees it (a system role or a custom role). */
export interface RoleDefinition {
  readonly name: string;
  readonly permissions: readonly string[];
  readonly rules: readonly StoredRule[];
  readonly extends: readonly string[];
}

/** Everything that decides one (tenant, user) permission set. */
export interface PolicyInput {
  tenantId: string;
  userId: string;
  state: PrincipalState;
  superAdmin: boolean;
  /** Role names assigned to the user in the tenant. */
  assigned: readonly string[];
  /** Custom roles of the tenant by name (at least those reachable from `assigned`). */
  customRoles: ReadonlyMap<string, RoleDefinition>;
  /** Grant everything: the system operator. */
  system?: boolean;
  /** Why the tenant is not active (its `statusReason`), when it is not. */
  tenantReason?: string | null;
}

/** A compiled, frozen permission set. */
export interface CompiledPolicy {
  readonly state: PrincipalState;
  /** The user holds the super-admin flag. It grants nothing while the user is suspended: see `state`. */
  readonly superAdmin: boolean;
  /** The tenant the set is for (`*` for the shared system and no-roles sets). */
  readonly tenantId: string;
  /** Why the tenant is suspended or deleted, when it is and the reason is known. */
  readonly tenantReason: string | null;
  /** Role names in effect, after following `extends`, in the order visited. */
  readonly roles: readonly string[];
  /** The raw rules, deep-frozen; allow rules first, denies last (so deny beats allow). */
  readonly rules: readonly AxRawRule[];
  /** @internal the cached ability; never handed out (see Rbac.abilityFor). */
  readonly ability: AxAbility;
  /** @internal rule origin by raw rule identity. */
  readonly origins: ReadonlyMap<object, RuleOrigin>;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

// Values are substituted as data: a user id of `{"$ne": null}` stays that string.
function interpolate(value: unknown, vars: Readonly<Record<string, string>>): unknown {
  if (typeof value === 'string') {
    return Object.hasOwn(PLACEHOLDERS, value)
      ? vars[PLACEHOLDERS[value as keyof typeof PLACEHOLDERS]]
      : value;
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, vars));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = Object.create(null);
    for (const [k, v] of Object.entries(value)) out[k] = interpolate(v, vars);
    return { ...out };
  }
  return value;
}

function resolveRole(name: string, custom: ReadonlyMap<string, RoleDefinition>): RoleDefinition | undefined {
  const sys = systemRole(name);
  if (sys)
    return {
      name: sys.name,
      permissions: sys.permissions,
      rules: [],
      extends: [],
    };
  return custom.get(name);
}

/** Role names reachable from `start` through `extends` (cycles are tolerated: each role is visited once). */
export function expandRoles(
  start: readonly string[],
  custom: ReadonlyMap<string, RoleDefinition>,
): RoleDefinition[] {
  const seen = new Set<string>();
  const out: RoleDefinition[] = [];
  const queue = [...start];
  while (queue.length > 0) {
    const name = queue.shift()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const role = resolveRole(name, custom);
    if (!role) continue;
    out.push(role);
    queue.push(...role.extends);
  }
  return out;
}

/** The raw rules a set of roles grants, with origins; allow rules first, denies last. */
export function rulesOfRoles(
  roles: readonly RoleDefinition[],
  catalog: PermissionCatalog<string>,
  vars: Readonly<Record<string, string>>,
): { rules: AxRawRule[]; origins: Map<object, RuleOrigin> } {
  const allow: AxRawRule[] = [];
  const deny: AxRawRule[] = [];
  const origins = new Map<object, RuleOrigin>();
  for (const role of roles) {
    for (const permission of role.permissions) {
      if (!catalog.has(permission)) continue; // an app removed a resource: stored grants of it lapse
      const { action, subject } = catalog.toRule(permission);
      const rule: AxRawRule = { action, subject };
      origins.set(rule, { role: role.name, permission, source: 'role' });
      allow.push(rule);
    }
    for (const stored of role.rules) {
      const rule = { ...stored } as AxRawRule;
      if (stored.conditions)
        rule.conditions = interpolate(stored.conditions, vars) as AxRawRule['conditions'];
      origins.set(rule, { role: role.name, permission: null, source: 'role' });
      (rule.inverted ? deny : allow).push(rule);
    }
  }
  return { rules: [...allow, ...deny], origins };
}

const EVERYTHING = (
  source: 'super-admin' | 'system',
): { rules: AxRawRule[]; origins: Map<object, RuleOrigin> } => {
  const rule: AxRawRule = { action: MANAGE, subject: ALL };
  return {
    rules: [rule],
    origins: new Map([[rule, { role: null, permission: '*', source }]]),
  };
};

/** Builds the frozen permission set of one (tenant, user). Pure: no storage, no clock. */
export function compilePolicy(input: PolicyInput, catalog: PermissionCatalog<string>): CompiledPolicy {
  let built: { rules: AxRawRule[]; origins: Map<object, RuleOrigin> } = {
    rules: [],
    origins: new Map(),
  };
  let roles: string[] = [];
  if (input.system) {
    built = EVERYTHING('system');
  } else if (input.superAdmin && (input.state === 'active' || input.state === 'tenant-suspended')) {
    built = EVERYTHING('super-admin');
  } else if (input.state === 'active') {
    const expanded = expandRoles(input.assigned, input.customRoles);
    roles = expanded.map((r) => r.name);
    built = rulesOfRoles(expanded, catalog, {
      'user.id': input.userId,
      'tenant.id': input.tenantId,
    });
  }
  const rules = deepFreeze(built.rules);
  return Object.freeze({
    state: input.system || (input.superAdmin && built.rules.length > 0) ? 'active' : input.state,
    superAdmin: input.superAdmin,
    tenantId: input.tenantId,
    tenantReason: input.tenantReason ?? null,
    roles: Object.freeze(roles),
    rules: Object.freeze(rules),
    ability: createAxAbility(rules),
    origins: built.origins,
  });
}
