import {
  type Clock,
  ConflictError,
  type ExecutionContext,
  type IdGenerator,
  isId,
  NotFoundError,
  onCommit,
  parseInput,
  type RoleRecord,
  type StoredRule,
  type UserStatus,
} from '@ax/core';
import { z } from 'zod';
import {
  allowsOn,
  assertHoldsAll,
  checkGraph,
  ctxTenant,
  forbidden,
  grantedRules,
  requirePermission,
  requirePlatformAdmin,
  roleObject,
  tenantRoles,
} from './admin-guards.js';
import type { CompiledPolicy, RoleDefinition } from './compile.js';
import type { ChangeEvent, RbacEventBus, RbacTx } from './events.js';
import type { PermissionCatalog } from './permissions.js';
import type { RbacStorePorts } from './rbac.js';
import {
  type RoleInput,
  type RolePatchInput,
  roleInputSchema,
  roleNameSchema,
  rolePatchSchema,
} from './rule-schema.js';
import { isSystemRoleName, SYSTEM_ROLES, systemRole } from './system-roles.js';

/** What admin operations need from the service. */
export interface AdminDeps {
  store: RbacStorePorts;
  catalog: PermissionCatalog<string>;
  clock: Clock;
  ids: IdGenerator;
  events: RbacEventBus;
  policyOf(ctx: ExecutionContext): Promise<CompiledPolicy>;
  /** Called after every committed write. */
  changed(): void;
}

/** Options of an administrative call (see `RbacCallOptions`). */
export interface CallOptions {
  tx?: RbacTx;
}

/** Who an assignment is for: a user (`userId`) or an API key (`apiKeyId`, a `key_…` id), and the role. */
export type AssignmentArg = { userId: string; role: string } | { apiKeyId: string; role: string };

// A `tx` must carry the rbac ports: anything else would silently write outside the caller's transaction.
const callOptionsSchema = z
  .object({
    tx: z
      .custom<RbacTx>(
        (v) =>
          typeof v === 'object' &&
          v !== null &&
          typeof (v as { rbac?: { assign?: unknown } }).rbac?.assign === 'function' &&
          typeof (v as { users?: { get?: unknown } }).users?.get === 'function',
        'expected the ports of a store transaction (with `rbac` and `users`)',
      )
      .optional(),
  })
  .strict();

/** The ports reads go through: the caller's transaction when given, else the store. */
function portsOf(deps: AdminDeps, options: CallOptions): RbacTx {
  return (parseInput(callOptionsSchema, options, 'options').tx ?? deps.store) as RbacTx;
}

/** Input of `createRole` (validated; unknown keys such as `isSystemRole` are refused). */
export type RoleInputArg = RoleInput;
/** Input of `updateRole`. */
export type RolePatchArg = RolePatchInput;

/** A role as the API shows it. */
export interface RoleView {
  name: string;
  /** Null for system roles. */
  tenantId: string | null;
  system: boolean;
  description: string | null;
  permissions: string[];
  rules: StoredRule[];
  extends: string[];
}

/** An assignment as the API shows it. */
export interface AssignmentView {
  userId: string;
  role: string;
  grantedBy: string;
  createdAt: number;
}

/** A created user. */
export interface UserView {
  id: string;
  email: string;
  status: UserStatus;
  role: string;
}

// Creating or deleting a role writes all of it: a `role.write` limited to some fields allows neither.
const ROLE_FIELDS = ['name', 'description', 'permissions', 'rules', 'extends'] as const;

function view(role: RoleRecord): RoleView {
  return {
    name: role.name,
    tenantId: role.tenantId,
    system: false,
    description: role.description,
    permissions: [...role.permissions],
    rules: role.rules.map((r) => ({ ...r })),
    extends: [...role.extends],
  };
}

function systemView(name: string): RoleView | null {
  const r = systemRole(name);
  if (!r) return null;
  return {
    name: r.name,
    tenantId: null,
    system: true,
    description: r.description,
    permissions: [...r.permissions],
    rules: [],
    extends: [],
  };
}

// Runs the change and its `change` event in one transaction: the caller's `tx`, else a new one.
async function write(
  deps: AdminDeps,
  ctx: ExecutionContext,
  options: CallOptions,
  event: Omit<ChangeEvent, 'actor' | 'at'>,
  fn: (tx: RbacTx) => Promise<void>,
) {
  const run = async (tx: RbacTx) => {
    await fn(tx);
    if (deps.events.has('change'))
      await deps.events.emit('change', { ...event, actor: ctx.actor, at: deps.clock.now() }, tx);
  };
  const callerTx = options.tx;
  try {
    if (callerTx) {
      // the cache must not keep what the caller's commit changed; registered first, so a `tx` that is not an
      // open transaction fails before anything is written
      onCommit(callerTx, deps.changed);
      await run(callerTx);
    } else {
      await deps.store.transaction(run);
    }
  } finally {
    deps.changed(); // also after a failure: a listener may have written before throwing
  }
}

export async function createRole(
  deps: AdminDeps,
  ctx: ExecutionContext,
  input: RoleInput,
  options: CallOptions,
): Promise<RoleView> {
  const db = portsOf(deps, options);
  const parsed = parseInput(roleInputSchema(deps.catalog), input, 'role');
  if (isSystemRoleName(parsed.name)) {
    throw forbidden('system-role-immutable', `${parsed.name} is a system role`, { role: parsed.name });
  }
  const actor = await requirePermission(deps, ctx, 'role.write', {
    object: roleObject(ctxTenant(ctx), parsed.name),
    fields: ROLE_FIELDS,
  });
  const now = deps.clock.now();
  const role: RoleRecord = {
    id: deps.ids.next('role'),
    tenantId: ctxTenant(ctx),
    name: parsed.name,
    description: parsed.description ?? null,
    permissions: parsed.permissions ?? [],
    rules: parsed.rules ?? [],
    extends: parsed.extends ?? [],
    createdAt: now,
    updatedAt: now,
  };
  const roles = await tenantRoles(db, role.tenantId);
  if (roles.has(role.name)) throw new ConflictError(`role ${role.name} already exists`);
  checkGraph(role, roles);
  assertHoldsAll(actor, ctx, grantedRules(deps, role, roles), `role ${role.name}`);
  await write(
    deps,
    ctx,
    options,
    {
      type: 'role.created',
      tenantId: role.tenantId,
      target: { role: role.name },
    },
    (tx) => tx.rbac.insertRole(role),
  );
  return view(role);
}

export async function updateRole(
  deps: AdminDeps,
  ctx: ExecutionContext,
  input: { name: string } & RolePatchInput,
  options: CallOptions,
): Promise<RoleView> {
  const db = portsOf(deps, options);
  const { name, ...patch } = (input ?? {}) as { name: string } & RolePatchInput;
  parseInput(roleNameSchema, name, 'role name');
  if (isSystemRoleName(name))
    throw forbidden('system-role-immutable', `${name} is a system role`, {
      role: name,
    });
  const parsed = parseInput(rolePatchSchema(deps.catalog), patch, 'role patch');
  const actor = await requirePermission(deps, ctx, 'role.write', {
    object: roleObject(ctxTenant(ctx), name),
    fields: Object.keys(parsed),
  });
  const roles = await tenantRoles(db, ctxTenant(ctx));
  const current = roles.get(name);
  if (!current) throw new NotFoundError(`role ${name} not found`);
  const next: RoleDefinition = {
    name,
    permissions: parsed.permissions ?? current.permissions,
    rules: parsed.rules ?? current.rules,
    extends: parsed.extends ?? current.extends,
  };
  // What the role grants now, too: else a role.write holder could strip (or rewrite) a stronger role, which
  // revoke and deleteRole already refuse.
  assertHoldsAll(actor, ctx, grantedRules(deps, current, roles), `role ${name}`, true);
  roles.delete(name);
  checkGraph(next, roles);
  assertHoldsAll(actor, ctx, grantedRules(deps, next, roles), `role ${name}`);
  let updated: RoleRecord | null = null;
  await write(
    deps,
    ctx,
    options,
    { type: 'role.updated', tenantId: ctxTenant(ctx), target: { role: name } },
    async (tx) => {
      updated = await tx.rbac.updateRole(ctxTenant(ctx), name, {
        ...parsed,
        updatedAt: deps.clock.now(),
      });
      if (!updated) throw new NotFoundError(`role ${name} not found`);
    },
  );
  return view(updated!);
}

export async function deleteRole(
  deps: AdminDeps,
  ctx: ExecutionContext,
  input: { name: string },
  options: CallOptions,
): Promise<void> {
  const db = portsOf(deps, options);
  const { name } = parseInput(roleRefSchema, input, 'role');
  if (isSystemRoleName(name))
    throw forbidden('system-role-immutable', `${name} is a system role`, {
      role: name,
    });
  const actor = await requirePermission(deps, ctx, 'role.write', {
    object: roleObject(ctxTenant(ctx), name),
    fields: ROLE_FIELDS,
  });
  const roles = await tenantRoles(db, ctxTenant(ctx));
  const role = roles.get(name);
  if (!role) throw new NotFoundError(`role ${name} not found`);
  const dependents = [...roles.values()].filter((r) => r.extends.includes(name)).map((r) => r.name);
  if (dependents.length > 0) {
    throw new ConflictError(`role ${name} is extended by ${dependents.join(', ')}`, {
      details: { dependents },
    });
  }
  assertHoldsAll(actor, ctx, grantedRules(deps, role, roles), `role ${name}`, true);
  await write(
    deps,
    ctx,
    options,
    { type: 'role.deleted', tenantId: ctxTenant(ctx), target: { role: name } },
    async (tx) => {
      if (!(await tx.rbac.deleteRole(ctxTenant(ctx), name)))
        throw new NotFoundError(`role ${name} not found`);
    },
  );
}

export async function getRole(
  deps: AdminDeps,
  ctx: ExecutionContext,
  input: { name: string },
  options: CallOptions,
): Promise<RoleView> {
  const db = portsOf(deps, options);
  const { name } = parseInput(roleRefSchema, input, 'role');
  await requirePermission(deps, ctx, 'role.read', { object: roleObject(ctxTenant(ctx), name) });
  const sys = systemView(name);
  if (sys) return sys;
  const role = await db.rbac.getRole(ctxTenant(ctx), name);
  if (!role) throw new NotFoundError(`role ${name} not found`);
  return view(role);
}

export async function listRoles(
  deps: AdminDeps,
  ctx: ExecutionContext,
  input: Record<string, never>,
  options: CallOptions,
): Promise<RoleView[]> {
  const db = portsOf(deps, options);
  parseInput(z.object({}).strict(), input, 'input');
  const actor = await requirePermission(deps, ctx, 'role.read');
  const custom = await db.rbac.listRoles(ctxTenant(ctx));
  return [...SYSTEM_ROLES.map((r) => systemView(r.name)!), ...custom.map(view)].filter((r) =>
    allowsOn(actor, deps, 'role.read', roleObject(ctxTenant(ctx), r.name)),
  );
}

const roleRefSchema = z.object({ name: roleNameSchema }).strict();

const assignmentSchema = z.union([
  z.object({ userId: z.string().min(1).max(200), role: roleNameSchema }).strict(),
  z
    .object({
      apiKeyId: z.string().refine((v) => isId('apiKey', v), 'expected an API key id (key_…)'),
      role: roleNameSchema,
    })
    .strict(),
]);

/** The principal id an assignment is keyed by, and whether it is an API key. */
function holderOf(input: z.infer<typeof assignmentSchema>): { id: string; apiKey: boolean } {
  return 'apiKeyId' in input ? { id: input.apiKeyId, apiKey: true } : { id: input.userId, apiKey: false };
}

async function roleForGrant(
  deps: AdminDeps,
  db: RbacTx,
  ctx: ExecutionContext,
  role: string,
  removing = false,
) {
  const actor = await requirePermission(deps, ctx, 'role.assign', {
    object: roleObject(ctxTenant(ctx), role),
  });
  const roles = await tenantRoles(db, ctxTenant(ctx));
  const def = systemRole(role)
    ? {
        name: role,
        permissions: systemRole(role)!.permissions,
        rules: [],
        extends: [],
      }
    : roles.get(role);
  if (!def) throw new NotFoundError(`role ${role} not found`);
  assertHoldsAll(actor, ctx, grantedRules(deps, def, roles), `role ${role}`, removing);
}

export async function assign(
  deps: AdminDeps,
  ctx: ExecutionContext,
  input: AssignmentArg,
  options: CallOptions,
): Promise<boolean> {
  const db = portsOf(deps, options);
  const parsed = parseInput(assignmentSchema, input, 'assignment');
  const { role } = parsed;
  const holder = holderOf(parsed);
  const userId = holder.id;
  await roleForGrant(deps, db, ctx, role);
  if (!holder.apiKey && !(await db.users.get(userId))) throw new NotFoundError(`user ${userId} not found`);
  let added = false;
  await write(
    deps,
    ctx,
    options,
    {
      type: 'role.assigned',
      tenantId: ctxTenant(ctx),
      target: holder.apiKey ? { apiKeyId: userId, role } : { userId, role },
    },
    async (tx) => {
      added = await tx.rbac.assign({
        tenantId: ctxTenant(ctx),
        userId,
        role,
        grantedBy: ctx.actor.id,
        createdAt: deps.clock.now(),
      });
    },
  );
  return added;
}

export async function revoke(
  deps: AdminDeps,
  ctx: ExecutionContext,
  input: AssignmentArg,
  options: CallOptions,
): Promise<boolean> {
  const db = portsOf(deps, options);
  const parsed = parseInput(assignmentSchema, input, 'assignment');
  const { role } = parsed;
  const holder = holderOf(parsed);
  const userId = holder.id;
  await roleForGrant(deps, db, ctx, role, true);
  let removed = false;
  await write(
    deps,
    ctx,
    options,
    {
      type: 'role.revoked',
      tenantId: ctxTenant(ctx),
      target: holder.apiKey ? { apiKeyId: userId, role } : { userId, role },
    },
    async (tx) => {
      removed = await tx.rbac.revoke(ctxTenant(ctx), userId, role);
    },
  );
  return removed;
}

export async function listAssignments(
  deps: AdminDeps,
  ctx: ExecutionContext,
  filter: { userId?: string },
  options: CallOptions,
): Promise<AssignmentView[]> {
  const db = portsOf(deps, options);
  const f = parseInput(
    z.object({ userId: z.string().min(1).max(200).optional() }).strict(),
    filter,
    'filter',
  );
  const actor = await requirePermission(deps, ctx, 'role.read');
  const rows = await db.rbac.listAssignments({
    tenantId: ctxTenant(ctx),
    ...(f.userId ? { userId: f.userId } : {}),
  });
  const visible = rows.filter((r) => allowsOn(actor, deps, 'role.read', roleObject(ctxTenant(ctx), r.role)));
  return visible.map(({ userId, role, grantedBy, createdAt }) => ({
    userId,
    role,
    grantedBy,
    createdAt,
  }));
}

const createUserSchema = z
  .object({ email: z.email().max(320), role: roleNameSchema.default('viewer') })
  .strict();

export async function createUser(
  deps: AdminDeps,
  ctx: ExecutionContext,
  input: { email: string; role?: string },
  options: CallOptions,
): Promise<UserView> {
  const db = portsOf(deps, options);
  const { email, role } = parseInput(createUserSchema, input, 'user');
  await requirePermission(deps, ctx, 'user.write', { object: { email } });
  await roleForGrant(deps, db, ctx, role);
  const now = deps.clock.now();
  const user = {
    id: deps.ids.next('user'),
    email,
    status: 'active' as const,
    createdAt: now,
    updatedAt: now,
  };
  await write(
    deps,
    ctx,
    options,
    {
      type: 'user.created',
      tenantId: ctxTenant(ctx),
      target: { userId: user.id, role },
    },
    async (tx) => {
      await tx.users.insert(user);
      await tx.rbac.assign({
        tenantId: ctxTenant(ctx),
        userId: user.id,
        role,
        grantedBy: ctx.actor.id,
        createdAt: now,
      });
    },
  );
  return { id: user.id, email, status: user.status, role };
}

const userRefSchema = z.object({ userId: z.string().min(1).max(200) }).strict();

export async function setUserStatus(
  deps: AdminDeps,
  ctx: ExecutionContext,
  input: { userId: string },
  status: UserStatus,
  options: CallOptions,
): Promise<void> {
  portsOf(deps, options);
  const { userId } = parseInput(userRefSchema, input, 'user');
  requirePlatformAdmin(await deps.policyOf(ctx), ctx);
  const type = status === 'suspended' ? 'user.suspended' : 'user.activated';
  await write(deps, ctx, options, { type, tenantId: null, target: { userId } }, async (tx) => {
    const updated = await tx.users.update(userId, {
      status,
      updatedAt: deps.clock.now(),
    });
    if (!updated) throw new NotFoundError(`user ${userId} not found`);
    await tx.rbac.bumpEpoch(); // explicit, whatever the adapter's triggers do
  });
}

export async function setSuperAdmin(
  deps: AdminDeps,
  ctx: ExecutionContext,
  input: { userId: string; superAdmin: boolean },
  options: CallOptions,
): Promise<void> {
  const db = portsOf(deps, options);
  const { userId, superAdmin: flag } = parseInput(
    z.object({ userId: z.string().min(1).max(200), superAdmin: z.boolean() }).strict(),
    input,
    'super-admin change',
  );
  requirePlatformAdmin(await deps.policyOf(ctx), ctx);
  if (!(await db.users.get(userId))) throw new NotFoundError(`user ${userId} not found`);
  const type = flag ? 'superadmin.granted' : 'superadmin.revoked';
  await write(deps, ctx, options, { type, tenantId: null, target: { userId } }, (tx) =>
    tx.rbac.setSuperAdmin(userId, flag, deps.clock.now()),
  );
}
