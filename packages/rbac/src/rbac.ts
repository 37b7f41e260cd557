import {
  type Actor,
  actorSchema,
  type Clock,
  createIdGenerator,
  EventBus,
  type ExecutionContext,
  executionContextSchema,
  type IdGenerator,
  PLATFORM_TENANT_ID,
  isId,
  parseInput,
  type StorePorts,
  systemClock,
  type Transactional,
  ValidationError,
} from '@ax/core';
import { type PackRule, packRules } from '@casl/ability/extra';
import { z } from 'zod';
import type { AccessFilter } from './access-filter.js';
import * as admin from './admin.js';
import {
  type AxAbility,
  type AxRawRule,
  type CompiledPolicy,
  type PrincipalState,
  compilePolicy,
  createAxAbility,
} from './compile.js';
import { assertPermission } from './admin-guards.js';
import { type CheckObject, type CheckResult, checkPolicy } from './check.js';
import { type AnySubject, allows, assertTenantActive, type Decision, explainPolicy } from './decide.js';
import type { RbacEventBus, RbacEvents, RbacTx } from './events.js';
import { PermissionSet } from './permission-set.js';
import { type BuiltinPermission, PermissionCatalog } from './permissions.js';

/** The ports the Rbac service uses. Any adapter's `Store` fits. */
export type RbacStorePorts = Transactional<Pick<StorePorts, 'rbac' | 'users' | 'tenants'>>;

/** Options of {@link createRbac}. */
export interface RbacOptions<P extends string = BuiltinPermission> {
  store: RbacStorePorts;
  /** Permissions the application knows (default: the built-in ones). */
  catalog?: PermissionCatalog<P>;
  clock?: Clock;
  ids?: IdGenerator;
  /**
   * How long a cached permission set is trusted before the store's policy epoch is read again: the bound on
   * how late another process's change (a revocation) is seen here. 0 to 1000 ms, default 250.
   */
  epochTtlMs?: number;
  /** Cached (tenant, user) permission sets kept at most (default 10,000; the oldest go first). */
  maxCacheEntries?: number;
  /** Where errors of `afterCommit` event listeners go (default: a process warning). */
  onListenerError?: (err: unknown, name: keyof RbacEvents) => void;
}

/** Options of an administrative call: run it in the caller's transaction, so it commits with its work. */
export interface RbacCallOptions {
  /** The ports of the caller's `store.transaction` (with `rbac`, `users` and `tenants`). */
  tx?: RbacTx;
}

const optionsSchema = z.object({
  onListenerError: z.unknown().optional(),
  epochTtlMs: z.number().int().min(0).max(1000).default(250),
  maxCacheEntries: z.number().int().min(1).max(10_000_000).default(10_000),
});

interface CacheEntry {
  policy: CompiledPolicy;
  epoch: number;
  generation: number;
  validUntil: number;
}

// One invalidation signal per store object, shared by every Rbac on it: a write through any of them makes
// every cached permission set of the others stale at once.
const SIGNALS = new WeakMap<object, { generation: number }>();

// The cached path shares two settled promises instead of allocating one per check. A promise is an ordinary
// object: a caller giving the one it got an own `then` or `constructor` would change what `await` yields for
// every later check sharing it (turning every denial into `true`). So both are pinned as own, non-writable,
// non-configurable properties (`await` reads only `constructor`; its `then` is then Promise's own). Not frozen:
// Node's async hooks (AsyncLocalStorage) add a symbol to promises and throw on a non-extensible one.
function pinned(value: boolean): Promise<boolean> {
  const p = Promise.resolve(value);
  for (const [key, v] of [
    ['then', Promise.prototype.then],
    ['constructor', Promise],
  ] as const) {
    Object.defineProperty(p, key, { value: v, writable: false, configurable: false, enumerable: false });
  }
  return p;
}
const ALLOWED = pinned(true);
const DENIED = pinned(false);

const ACTOR_TYPES = new Set(['user', 'apiKey', 'system']);

const name = z.string().min(1).max(100);
const accessArgs = z.object({ action: name, subjectType: name });
const fieldList = z.array(z.string().max(200)).max(10_000);

function looksValid(ctx: ExecutionContext): boolean {
  return (
    typeof ctx === 'object' &&
    ctx !== null &&
    typeof ctx.tenantId === 'string' &&
    ctx.tenantId.length > 0 &&
    ctx.tenantId.length <= 200 &&
    typeof ctx.actor === 'object' &&
    ctx.actor !== null &&
    typeof ctx.actor.id === 'string' &&
    ctx.actor.id.length > 0 &&
    ctx.actor.id.length <= 200 &&
    ACTOR_TYPES.has(ctx.actor.type)
  );
}

const checkObjectSchema = z.record(z.string(), z.unknown());

// Cache key of a principal: the actor type is part of it, so an API key and a user sharing an id never share
// a cached permission set.
const principalKey = (actor: Actor): string => `${actor.type === 'apiKey' ? 'k' : 'u'}:${actor.id}`;

const SYSTEM_POLICY_INPUT = {
  userId: 'system',
  state: 'active' as const,
  superAdmin: false,
  assigned: [],
  customRoles: new Map(),
  system: true,
};

/**
 * Tenant-scoped roles compiled to CASL abilities, with explain, query filters, events and a cache that stays
 * coherent: see the package README. Create it with {@link createRbac}.
 */
export class Rbac<P extends string = BuiltinPermission> {
  /**
   * Decision events (`afterCommit` listeners: observations) and change events (`inTransaction` listeners run
   * in the change's transaction; audit records there).
   */
  readonly events: RbacEventBus;
  /** The permission catalog in use. */
  readonly catalog: PermissionCatalog<P>;

  readonly #store: RbacStorePorts;
  readonly #clock: Clock;
  readonly #ids: IdGenerator;
  readonly #ttl: number;
  readonly #max: number;
  readonly #signal: { generation: number };
  readonly #entries = new Map<string, Map<string, CacheEntry>>();
  readonly #inflight = new Map<string, Promise<CompiledPolicy>>();
  // The store's policy epoch as last read, and until when that read is trusted. The epoch is store-wide, so one
  // read re-validates every cached set loaded at that epoch: at most one read per time-to-live, however many
  // (tenant, user) sets are cached or checked at once.
  #epoch = { value: Number.NaN, validUntil: Number.NEGATIVE_INFINITY };
  #epochRead: Promise<number> | undefined;
  #size = 0;
  readonly #systemPolicy: CompiledPolicy;
  readonly #noRolesPolicy: CompiledPolicy;

  /** @internal use {@link createRbac} */
  constructor(options: RbacOptions<P>) {
    const opts = parseInput(
      optionsSchema,
      { ...options, store: undefined, catalog: undefined },
      'rbac options',
    );
    this.#store = options.store;
    const onListenerError = options.onListenerError;
    this.events = new EventBus<RbacEvents, RbacTx>(
      onListenerError ? { onError: (err, name) => onListenerError(err, name) } : {},
    );
    this.catalog = options.catalog ?? (PermissionCatalog.builtin() as unknown as PermissionCatalog<P>);
    this.#clock = options.clock ?? systemClock;
    this.#ids = options.ids ?? createIdGenerator(this.#clock);
    this.#ttl = opts.epochTtlMs;
    this.#max = opts.maxCacheEntries;
    let signal = SIGNALS.get(options.store);
    if (!signal) {
      signal = { generation: 0 };
      SIGNALS.set(options.store, signal);
    }
    this.#signal = signal;
    this.#systemPolicy = compilePolicy({ ...SYSTEM_POLICY_INPUT, tenantId: '*' }, this.catalog);
    this.#noRolesPolicy = compilePolicy(
      { ...SYSTEM_POLICY_INPUT, tenantId: '*', state: 'unsupported-actor', system: false },
      this.catalog,
    );
  }

  // ---- checks ------------------------------------------------------------------------------------------

  /** True when the context's actor may do `action` on `subject` (a type, or an object tagged with `subject()`). */
  can(ctx: ExecutionContext, action: string, subject: AnySubject, field?: string): Promise<boolean> {
    try {
      const cached = this.#cached(ctx);
      if (cached !== undefined) return this.#check(cached, ctx, action, subject, field) ? ALLOWED : DENIED;
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#policy(ctx).then((p) => this.#check(p, ctx, action, subject, field));
  }

  /**
   * Like {@link can}, but throws ForbiddenError carrying the action, subject and reason when denied, or
   * TenantSuspendedError (code TENANT_SUSPENDED, with the tenant's reason) when its tenant is suspended or
   * deleted. Like `can`, a subject type passes with a conditional grant: pass the object, or use {@link check}.
   */
  async require(ctx: ExecutionContext, action: string, subject: AnySubject, field?: string): Promise<void> {
    (await this.permissions(ctx)).require(action, subject, field);
  }

  /** True when the actor holds at least one of the permissions (`workflow.read`, …) unconditionally. */
  async hasAny(ctx: ExecutionContext, permissions: readonly P[]): Promise<boolean> {
    if (!Array.isArray(permissions)) throw new ValidationError('permissions must be an array');
    return (await this.permissions(ctx)).hasAny(permissions);
  }

  /** True when the actor holds every one of the permissions unconditionally (and false for an empty list). */
  async hasAll(ctx: ExecutionContext, permissions: readonly P[]): Promise<boolean> {
    if (!Array.isArray(permissions)) throw new ValidationError('permissions must be an array');
    return (await this.permissions(ctx)).hasAll(permissions);
  }

  /**
   * True when the actor holds the permission (e.g. `article.update`) unconditionally. A grant that depends on
   * the object (an author may update only their own articles) answers false: use {@link check} with the object.
   */
  async has(ctx: ExecutionContext, permission: P): Promise<boolean> {
    return (await this.permissions(ctx)).has(permission);
  }

  /**
   * Decides `permission` on `object` (`allowed` or `denied`). Without an object: `allowed` for an unconditional
   * grant, `denied`, or `conditional` with the conditions the object must match. Throws TenantSuspendedError
   * (code TENANT_SUSPENDED) when the context's tenant is suspended or deleted.
   */
  async check(ctx: ExecutionContext, permission: P, object?: CheckObject): Promise<CheckResult> {
    if (object !== undefined) parseInput(checkObjectSchema, object, 'object');
    return (await this.permissions(ctx)).check(permission, object);
  }

  /**
   * A what-if check: what {@link check} answers for `principal` (a user or API key) in the context's tenant,
   * asked by the context's actor. Asking about another principal needs `role.read` in the tenant. The decision
   * event names the asking actor as `actor`, the principal as `principal`, with `whatIf: true`, so audit never
   * records the principal as having tried (and been denied) anything.
   */
  async checkFor(
    ctx: ExecutionContext,
    principal: Actor,
    permission: P,
    object?: CheckObject,
  ): Promise<CheckResult> {
    const who = parseInput(actorSchema, principal, 'principal');
    if (object !== undefined) parseInput(checkObjectSchema, object, 'object');
    const self = who.type === ctx.actor.type && who.id === ctx.actor.id;
    if (!self) {
      const asker = await this.#policyOf(ctx);
      const readRoles = checkPolicy(asker, this.catalog, 'role.read');
      this.#observe(ctx, ctx.actor, false, readRoles.explanation, readRoles.decision);
      if (readRoles.decision === 'denied') assertTenantActive(asker, ctx.tenantId);
      assertPermission(asker, this, 'role.read');
    }
    const about: ExecutionContext = { ...ctx, actor: who };
    const policy = await this.#policyOf(about);
    const result = checkPolicy(policy, this.catalog, permission, object);
    this.#observe(ctx, who, !self, result.explanation, result.decision);
    if (result.decision === 'denied') assertTenantActive(policy, ctx.tenantId);
    return result;
  }

  /** Fields of `subject` the actor may `action`; rules without `fields` grant every one of `allFields`. */
  async permittedFields(
    ctx: ExecutionContext,
    action: string,
    subject: AnySubject,
    allFields: readonly string[],
  ): Promise<string[]> {
    const fields = parseInput(fieldList, allFields, 'allFields');
    return (await this.permissions(ctx)).permittedFields(action, subject, fields);
  }

  /** Why the actor may or may not: the deciding rule, its role and the reason. */
  async explain(
    ctx: ExecutionContext,
    action: string,
    subject: AnySubject,
    field?: string,
  ): Promise<Decision> {
    return (await this.permissions(ctx)).explain(action, subject, field);
  }

  /**
   * The actor's permission set with synchronous checks, for many checks in one request (filtering a list).
   * It is the cached set current now; take a new one per request (see {@link PermissionSet}).
   */
  async permissions(ctx: ExecutionContext): Promise<PermissionSet<P>> {
    return new PermissionSet(await this.#policyOf(ctx), ctx, this.catalog, this.events, this.#clock);
  }

  /** A CASL ability with the actor's rules: a fresh copy each call, so changing it cannot touch the cache. */
  async abilityFor(ctx: ExecutionContext): Promise<AxAbility> {
    const policy = await this.#policyOf(ctx);
    return createAxAbility(policy.rules);
  }

  /** The actor's rules packed with CASL's `packRules`, for a browser to `unpackRules`. */
  async packedRulesFor(ctx: ExecutionContext): Promise<PackRule<AxRawRule>[]> {
    const policy = await this.#policyOf(ctx);
    return packRules(policy.rules as AxRawRule[]);
  }

  /** The rows of `subjectType` the actor may `action`: all, none, or those matching a condition tree. */
  async accessibleBy(ctx: ExecutionContext, action: string, subjectType: string): Promise<AccessFilter> {
    parseInput(accessArgs, { action, subjectType }, 'accessibleBy');
    return (await this.permissions(ctx)).accessibleBy(action, subjectType);
  }

  /** Role names in effect for the actor in the context's tenant (after `extends`), and why it has none. */
  async effectiveRoles(
    ctx: ExecutionContext,
  ): Promise<{ roles: readonly string[]; state: CompiledPolicy['state'] }> {
    const policy = await this.#policyOf(ctx);
    return { roles: policy.roles, state: policy.state };
  }

  /** Drops every cached permission set of every Rbac on this store (e.g. after a change made elsewhere). */
  invalidate(): void {
    this.#signal.generation++;
    this.#entries.clear();
    this.#size = 0;
  }

  // ---- administration (see admin.ts): every method is (ctx, input, { tx }?) -----------------------------

  /** Creates a custom role in the context's tenant. Needs `role.write` and every permission it grants. */
  createRole(
    ctx: ExecutionContext,
    input: admin.RoleInputArg,
    options: RbacCallOptions = {},
  ): Promise<admin.RoleView> {
    return admin.createRole(this.#deps(), ctx, input, options);
  }
  /** Changes a custom role (`name` plus the fields to change). System roles are immutable. */
  updateRole(
    ctx: ExecutionContext,
    input: { name: string } & admin.RolePatchArg,
    options: RbacCallOptions = {},
  ): Promise<admin.RoleView> {
    return admin.updateRole(this.#deps(), ctx, input, options);
  }
  /** Deletes a custom role and its assignments. Refused while another role extends it. */
  deleteRole(ctx: ExecutionContext, input: { name: string }, options: RbacCallOptions = {}): Promise<void> {
    return admin.deleteRole(this.#deps(), ctx, input, options);
  }
  /** A role visible in the context's tenant (system or the tenant's own). */
  getRole(
    ctx: ExecutionContext,
    input: { name: string },
    options: RbacCallOptions = {},
  ): Promise<admin.RoleView> {
    return admin.getRole(this.#deps(), ctx, input, options);
  }
  /** System roles, then the tenant's custom roles. */
  listRoles(
    ctx: ExecutionContext,
    input: Record<string, never> = {},
    options: RbacCallOptions = {},
  ): Promise<admin.RoleView[]> {
    return admin.listRoles(this.#deps(), ctx, input, options);
  }
  /**
   * Assigns a role in the context's tenant to a user (`userId`) or an API key (`apiKeyId`, a `key_…` id).
   * Needs `role.assign` and every permission the role grants.
   */
  assign(ctx: ExecutionContext, input: admin.AssignmentArg, options: RbacCallOptions = {}): Promise<boolean> {
    return admin.assign(this.#deps(), ctx, input, options);
  }
  /** Revokes a role in the context's tenant. Needs `role.assign` and every permission the role grants. */
  revoke(ctx: ExecutionContext, input: admin.AssignmentArg, options: RbacCallOptions = {}): Promise<boolean> {
    return admin.revoke(this.#deps(), ctx, input, options);
  }
  /** Assignments in the context's tenant, optionally of one user (or API key). Needs `role.read`. */
  listAssignments(
    ctx: ExecutionContext,
    filter: { userId?: string } = {},
    options: RbacCallOptions = {},
  ): Promise<admin.AssignmentView[]> {
    return admin.listAssignments(this.#deps(), ctx, filter, options);
  }
  /** Creates a user and assigns it a role (default `viewer`) in the context's tenant, in one transaction. */
  createUser(
    ctx: ExecutionContext,
    input: { email: string; role?: string },
    options: RbacCallOptions = {},
  ): Promise<admin.UserView> {
    return admin.createUser(this.#deps(), ctx, input, options);
  }
  /** Suspends a user everywhere (super-admin or system only); their permissions end at once. */
  suspendUser(
    ctx: ExecutionContext,
    input: { userId: string },
    options: RbacCallOptions = {},
  ): Promise<void> {
    return admin.setUserStatus(this.#deps(), ctx, input, 'suspended', options);
  }
  /** Lifts a suspension (super-admin or system only). */
  activateUser(
    ctx: ExecutionContext,
    input: { userId: string },
    options: RbacCallOptions = {},
  ): Promise<void> {
    return admin.setUserStatus(this.#deps(), ctx, input, 'active', options);
  }
  /** Grants or clears the platform super-admin flag (super-admin or system only). */
  setSuperAdmin(
    ctx: ExecutionContext,
    input: { userId: string; superAdmin: boolean },
    options: RbacCallOptions = {},
  ): Promise<void> {
    return admin.setSuperAdmin(this.#deps(), ctx, input, options);
  }

  // ---- internals ---------------------------------------------------------------------------------------

  #deps(): admin.AdminDeps {
    return {
      store: this.#store,
      catalog: this.catalog,
      clock: this.#clock,
      ids: this.#ids,
      events: this.events,
      policyOf: (ctx) => this.#policyOf(ctx),
      changed: () => this.invalidate(),
    };
  }

  #check(
    policy: CompiledPolicy,
    ctx: ExecutionContext,
    action: string,
    subject: AnySubject,
    field?: string,
  ): boolean {
    if (this.events.has('decision')) {
      const decision = explainPolicy(policy, action, subject, field);
      this.#observe(ctx, ctx.actor, false, decision, decision.allowed ? 'allowed' : 'denied');
      return decision.allowed;
    }
    return allows(policy, action, subject, field);
  }

  // Decisions are observations: after-commit listeners only, called now; their errors never reach the caller.
  #observe(
    ctx: ExecutionContext,
    principal: Actor,
    whatIf: boolean,
    decision: Decision,
    outcome: CheckResult['decision'],
  ): void {
    if (!this.events.has('decision')) return;
    this.events.notify('decision', {
      ...decision,
      tenantId: ctx.tenantId,
      actor: ctx.actor,
      principal,
      whatIf,
      outcome,
      at: this.#clock.now(),
    });
  }

  async #policyOf(ctx: ExecutionContext): Promise<CompiledPolicy> {
    return this.#cached(ctx) ?? this.#policy(ctx);
  }

  // The hot path: two map lookups, a generation compare and a clock read.
  #cached(ctx: ExecutionContext): CompiledPolicy | undefined {
    if (!looksValid(ctx)) parseInput(executionContextSchema, ctx, 'execution context');
    if (ctx.actor.type === 'system') return this.#systemPolicy;
    // An API key's id must be a key id (`key_…`): it can never name a user's assignments.
    if (ctx.actor.type === 'apiKey' && !isId('apiKey', ctx.actor.id)) return this.#noRolesPolicy;
    const entry = this.#entries.get(ctx.tenantId)?.get(principalKey(ctx.actor));
    if (entry && entry.generation === this.#signal.generation) {
      const now = this.#clock.now();
      if (now < entry.validUntil) return entry.policy;
      // loaded at the epoch a recent read found still current: nothing has changed since it was loaded
      if (entry.epoch === this.#epoch.value && now < this.#epoch.validUntil) return entry.policy;
    }
    return undefined;
  }

  async #policy(ctx: ExecutionContext): Promise<CompiledPolicy> {
    const generation = this.#signal.generation;
    const entry = this.#entries.get(ctx.tenantId)?.get(principalKey(ctx.actor));
    if (entry && entry.generation === generation) {
      // time-to-live passed: one cheap read (shared) tells whether anything changed anywhere
      const epoch = await this.#currentEpoch();
      if (epoch === entry.epoch && this.#signal.generation === generation) return entry.policy;
    }
    // Loads are shared only within one generation: a caller arriving after a write never joins a load that
    // began before it.
    // Length-prefixed: ids may hold any character, and a separator alone would let tenant "a\0b" with user "c"
    // and tenant "a" with user "b\0c" share one load (one tenant's permissions answering for the other).
    const key = `${generation}:${ctx.tenantId.length}:${ctx.tenantId}:${principalKey(ctx.actor)}`;
    const running = this.#inflight.get(key);
    if (running) return running;
    const load = this.#load(ctx, generation).finally(() => this.#inflight.delete(key));
    this.#inflight.set(key, load);
    return load;
  }

  // The store's epoch: the last read while it is trusted, else one read shared by every caller meanwhile.
  #currentEpoch(): Promise<number> {
    if (this.#clock.now() < this.#epoch.validUntil) return Promise.resolve(this.#epoch.value);
    this.#epochRead ??= this.#readEpoch();
    return this.#epochRead;
  }

  async #readEpoch(): Promise<number> {
    // trusted from when the read began, so a change made after it is seen within one time-to-live of it
    const startedAt = this.#clock.now();
    try {
      const value = await this.#store.rbac.epoch();
      this.#epoch = { value, validUntil: startedAt + this.#ttl };
      return value;
    } finally {
      this.#epochRead = undefined;
    }
  }

  async #load(ctx: ExecutionContext, generation: number): Promise<CompiledPolicy> {
    const startedAt = this.#clock.now();
    const snap = await this.#store.rbac.loadPolicy(ctx.tenantId, ctx.actor.id);
    // An API key holds roles in its tenant exactly as a user does (assignments keyed by its id); it has no user
    // record, and never the super-admin flag.
    const apiKey = ctx.actor.type === 'apiKey';
    // The platform pseudo-tenant holds installation-wide actions (tenant create, suspend, keys): no role grants
    // them, only the super-admin flag of an active user (and the system actor, answered before the cache).
    const platform = ctx.tenantId === PLATFORM_TENANT_ID;
    const state: PrincipalState =
      !apiKey && !snap.user
        ? 'user-unknown'
        : !apiKey && snap.user?.status !== 'active'
          ? 'user-suspended'
          : platform
            ? !apiKey && snap.superAdmin
              ? 'active'
              : 'platform-only'
            : !snap.tenant
              ? 'tenant-unknown'
              : snap.tenant.status !== 'active'
                ? 'tenant-suspended'
                : 'active';
    const policy = compilePolicy(
      {
        tenantId: ctx.tenantId,
        userId: ctx.actor.id,
        state,
        tenantReason: snap.tenant?.statusReason ?? null,
        superAdmin: !apiKey && snap.superAdmin,
        assigned: platform ? [] : snap.assigned,
        customRoles: platform
          ? new Map()
          : new Map(snap.roles.filter((r) => r.tenantId === ctx.tenantId).map((r) => [r.name, r])),
      },
      this.catalog,
    );
    // A write in this process since the load began: the snapshot may predate it, so do not cache it.
    if (this.#signal.generation === generation)
      this.#remember(ctx, policy, snap.epoch, generation, startedAt);
    return policy;
  }

  #remember(
    ctx: ExecutionContext,
    policy: CompiledPolicy,
    epoch: number,
    generation: number,
    loadedAt: number,
  ): void {
    let users = this.#entries.get(ctx.tenantId);
    if (!users) {
      users = new Map();
      this.#entries.set(ctx.tenantId, users);
    }
    const key = principalKey(ctx.actor);
    if (!users.has(key)) this.#size++;
    users.set(key, {
      policy,
      epoch,
      generation,
      // from when the load began: its snapshot is at least that new
      validUntil: loadedAt + this.#ttl,
    });
    if (this.#size > this.#max) {
      // evict the oldest tenant's oldest entry (Maps iterate in insertion order)
      const [tenantId, oldest] = this.#entries.entries().next().value as [string, Map<string, CacheEntry>];
      const first = oldest.keys().next().value as string;
      oldest.delete(first);
      if (oldest.size === 0) this.#entries.delete(tenantId);
      this.#size--;
    }
  }
}

/** Creates the Rbac service on a store. */
export function createRbac<P extends string = BuiltinPermission>(options: RbacOptions<P>): Rbac<P> {
  return new Rbac(options);
}
