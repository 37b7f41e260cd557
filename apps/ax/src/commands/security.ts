import {
  ConflictError,
  createContext,
  DEFAULT_TENANT_SLUG,
  NotFoundError,
  type Store,
  type User,
  ValidationError,
} from '@ax/core';
import type { AssignmentView, BuiltinPermission, CheckResult, Decision, RoleView } from '@ax/rbac';
import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { EXIT, ExitWith } from '../exit-codes.js';
import { table } from '../output.js';
import type { CommandAction } from '../program.js';
import { findUser, rbacOf } from '../services/security.js';
import { readUtf8File } from './policy.js';

const list = (value: string): string[] =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

function readRules(ctx: CommandContext, file: string): unknown[] {
  const text = readUtf8File(ctx, file, `--rules ${file}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ValidationError(`--rules ${file}: ${(err as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw new ValidationError(`--rules ${file}: expected a JSON array of rules`);
  return parsed;
}

function roleLines(role: RoleView): string {
  return [
    `name         ${role.name}${role.system ? ' (system)' : ''}`,
    `description  ${role.description ?? '-'}`,
    `extends      ${role.extends.join(', ') || '-'}`,
    `permissions  ${role.permissions.join(', ') || '-'}`,
    ...role.rules.map((r, i) => `rule ${i + 1}       ${JSON.stringify(r)}`),
  ].join('\n');
}

function readResource(json: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (err) {
    throw new ValidationError(`--resource: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new ValidationError('--resource: expected a JSON object, e.g. \'{"ownerId":"usr_…"}\'');
  return parsed as Record<string, unknown>;
}

function conditionLines(r: CheckResult): string[] {
  return [
    ...(r.conditions && r.conditions.op !== 'true'
      ? [`only for objects matching ${JSON.stringify(r.conditions)}`]
      : []),
    ...(r.fields ? [`only fields ${r.fields.join(', ')}`] : []),
    ...(r.deniedFields ? [`not fields ${r.deniedFields.join(', ')}`] : []),
    "give --resource '<json>' to decide for one object",
  ];
}

function decisionLines(d: Decision): string[] {
  return [
    `rule     ${d.rule ? JSON.stringify(d.rule) : '(none: denied by default)'}`,
    `role     ${d.role ?? (d.source === 'default' ? '-' : d.source)}`,
    `reason   ${d.reason}`,
  ];
}

/** A tenant member: the user and the roles it holds there. */
interface Member {
  id: string;
  email: string;
  status: User['status'];
  roles: string[];
}

// Groups a tenant's assignments by holder, users only (API keys hold roles too, but are not users), by e-mail.
async function membersOf(store: Store, assignments: readonly AssignmentView[]): Promise<Member[]> {
  const roles = new Map<string, string[]>();
  for (const a of assignments) roles.set(a.userId, [...(roles.get(a.userId) ?? []), a.role]);
  const members: Member[] = [];
  for (const [userId, held] of roles) {
    const u = await store.users.get(userId);
    if (u) members.push({ id: u.id, email: u.email, status: u.status, roles: held.sort() });
  }
  return members.sort((a, b) => a.email.localeCompare(b.email));
}

/** `ax security …`: users, role assignments, roles, and permission checks. */
export function registerSecurity(program: Command, action: CommandAction): void {
  const security = program.command('security').description('users, roles and permissions');

  const user = security.command('user').description('users and their roles in a tenant');
  user
    .command('create <email>')
    .description('create a user and give it a role in the tenant (default viewer)')
    .requiredOption('--tenant <tenant>', 'tenant id or slug')
    .option('--role <role>', 'role to assign', 'viewer')
    .action(
      action(async (ctx, email: string, o: { tenant: string; role: string }) => {
        const tenant = await ctx.tenant(o.tenant);
        const ectx = await ctx.authorize(tenant.id, 'user.write');
        const created = await (await rbacOf(ctx))
          .createUser(ectx, { email, role: o.role })
          .catch(async (err: unknown) => {
            // users are installation-wide: an e-mail taken (in this tenant or another) joins with `assign`
            const taken =
              err instanceof ConflictError ? await (await ctx.store()).users.getByEmail(email) : null;
            if (!taken) throw err;
            throw new ConflictError(
              `user ${taken.email} exists already; give it a role here with \`ax security user assign ${taken.email} ${o.role} --tenant ${tenant.slug}\``,
              { cause: err },
            );
          });
        ctx.out.result(
          { ...created, tenantId: tenant.id },
          () => `created user ${created.email} (${created.id}) as ${created.role} in ${tenant.slug}`,
        );
      }),
    );
  user
    .command('list')
    .description('users holding a role in the tenant, with their roles')
    .requiredOption('--tenant <tenant>', 'tenant id or slug')
    .action(
      action(async (ctx, o: { tenant: string }) => {
        const tenant = await ctx.tenant(o.tenant);
        const ectx = await ctx.authorize(tenant.id, 'role.read');
        const assignments = await (await rbacOf(ctx)).listAssignments(ectx);
        const users = await membersOf(await ctx.store(), assignments);
        ctx.out.result(users, () =>
          table(users.map((u) => ({ id: u.id, email: u.email, status: u.status, roles: u.roles.join(',') }))),
        );
      }),
    );
  user
    .command('show <user>')
    .description('one user (id or e-mail) and the roles it holds in the tenant')
    .requiredOption('--tenant <tenant>', 'tenant id or slug')
    .action(
      action(async (ctx, who: string, o: { tenant: string }) => {
        const tenant = await ctx.tenant(o.tenant);
        const ectx = await ctx.authorize(tenant.id, 'role.read');
        const store = await ctx.store();
        // one answer for "no such user" and "not a member here": a tenant's admin learns nothing of others'
        const missing = new NotFoundError(`user ${who} not found in ${tenant.slug}`);
        const target = await findUser(store, who).catch(() => null);
        if (!target) throw missing;
        const assignments = await (await rbacOf(ctx)).listAssignments(ectx, { userId: target.id });
        const [found] = await membersOf(store, assignments);
        if (!found) throw missing;
        ctx.out.result({ ...found, tenantId: tenant.id }, () =>
          [
            `id       ${found.id}`,
            `email    ${found.email}`,
            `status   ${found.status}`,
            `roles    ${found.roles.join(', ')} (in ${tenant.slug})`,
          ].join('\n'),
        );
      }),
    );
  for (const verb of ['suspend', 'activate'] as const) {
    user
      .command(`${verb} <user>`)
      .description(
        verb === 'suspend'
          ? 'suspend a user in every tenant; its permissions end at once (installation-wide)'
          : 'lift a user’s suspension (installation-wide)',
      )
      .action(
        action(async (ctx, who: string) => {
          // a user is global: suspending one is an installation-wide action, not a tenant admin's
          const platform = await ctx.authorizePlatform('user.write');
          const target = await findUser(await ctx.store(), who);
          const rbac = await rbacOf(ctx);
          if (verb === 'suspend') await rbac.suspendUser(platform, { userId: target.id });
          else await rbac.activateUser(platform, { userId: target.id });
          const status = verb === 'suspend' ? 'suspended' : 'active';
          ctx.out.result(
            { userId: target.id, email: target.email, status },
            () => `${target.email} is ${status}`,
          );
        }),
      );
  }
  const superAdminCmd = security
    .command('super-admin')
    .description(
      'the platform super-admin flag: installation-wide actions (the operator or a super-admin only)',
    );
  for (const verb of ['grant', 'revoke'] as const) {
    superAdminCmd
      .command(`${verb} <user>`)
      .description(
        verb === 'grant'
          ? 'make a user a platform super-admin (installation-wide actions; the operator or a super-admin only)'
          : 'take the platform super-admin flag away',
      )
      .action(
        action(async (ctx, who: string) => {
          const platform = await ctx.authorizePlatform('admin.manage');
          const target = await findUser(await ctx.store(), who);
          const superAdmin = verb === 'grant';
          await (await rbacOf(ctx)).setSuperAdmin(platform, { userId: target.id, superAdmin });
          ctx.out.result(
            { userId: target.id, superAdmin },
            () => `${target.email} ${superAdmin ? 'is now' : 'is no longer'} a platform super-admin`,
          );
        }),
      );
  }
  for (const verb of ['assign', 'revoke'] as const) {
    user
      .command(`${verb} <user> <role>`)
      .description(
        verb === 'assign' ? 'give a user a role in the tenant' : "take a user's role in the tenant away",
      )
      .requiredOption('--tenant <tenant>', 'tenant id or slug')
      .action(
        action(async (ctx, who: string, role: string, o: { tenant: string }) => {
          const tenant = await ctx.tenant(o.tenant);
          const ectx = await ctx.authorize(tenant.id, 'role.assign');
          const store = await ctx.store();
          const target = await findUser(store, who);
          const rbac = await rbacOf(ctx);
          const changed = await rbac[verb](ectx, { userId: target.id, role });
          ctx.out.result({ userId: target.id, role, tenantId: tenant.id, changed }, () =>
            changed
              ? `${verb === 'assign' ? 'assigned' : 'revoked'} ${role} ${verb === 'assign' ? 'to' : 'from'} ${target.email} in ${tenant.slug}`
              : `${target.email} ${verb === 'assign' ? 'already holds' : 'does not hold'} ${role} in ${tenant.slug}`,
          );
        }),
      );
  }

  const role = security.command('role').description('system and custom roles of a tenant');
  role
    .command('create <name>')
    .description('create a custom role from permissions and/or raw CASL rules')
    .requiredOption('--tenant <tenant>', 'tenant id or slug')
    .option('--permissions <list>', 'comma-separated permissions, e.g. workflow.read,agent.read')
    .option('--rules <file>', 'JSON file with an array of CASL rules')
    .option('--extends <list>', 'comma-separated roles this one extends')
    .option('--description <text>', 'what the role is for')
    .action(
      action(
        async (
          ctx,
          name: string,
          o: { tenant: string; permissions?: string; rules?: string; extends?: string; description?: string },
        ) => {
          if (!o.permissions && !o.rules && !o.extends) {
            throw new ValidationError('give --permissions, --rules or --extends');
          }
          const tenant = await ctx.tenant(o.tenant);
          const ectx = await ctx.authorize(tenant.id, 'role.write');
          const created = await (await rbacOf(ctx)).createRole(ectx, {
            name,
            ...(o.description ? { description: o.description } : {}),
            ...(o.permissions ? { permissions: list(o.permissions) } : {}),
            ...(o.rules ? { rules: readRules(ctx, o.rules) as never } : {}),
            ...(o.extends ? { extends: list(o.extends) } : {}),
          });
          ctx.out.result(
            created,
            () => `created role ${created.name} in ${tenant.slug}\n${roleLines(created)}`,
          );
        },
      ),
    );
  role
    .command('list')
    .description('system roles, then the tenant’s custom roles')
    .requiredOption('--tenant <tenant>', 'tenant id or slug')
    .action(
      action(async (ctx, o: { tenant: string }) => {
        const tenant = await ctx.tenant(o.tenant);
        const ectx = await ctx.authorize(tenant.id, 'role.read');
        const roles = await (await rbacOf(ctx)).listRoles(ectx);
        ctx.out.result(roles, () =>
          table(
            roles.map((r) => ({
              name: r.name,
              kind: r.system ? 'system' : 'custom',
              extends: r.extends.join(',') || null,
              grants: [...r.permissions, ...r.rules.map(() => '(rule)')].join(',') || null,
            })),
          ),
        );
      }),
    );
  role
    .command('show <name>')
    .description('one role, with its permissions and rules')
    .requiredOption('--tenant <tenant>', 'tenant id or slug')
    .action(
      action(async (ctx, name: string, o: { tenant: string }) => {
        const tenant = await ctx.tenant(o.tenant);
        const ectx = await ctx.authorize(tenant.id, 'role.read');
        const found = await (await rbacOf(ctx)).getRole(ectx, { name });
        ctx.out.result(found, () => roleLines(found));
      }),
    );
  role
    .command('holders <name>')
    .description('the users holding a role in the tenant')
    .requiredOption('--tenant <tenant>', 'tenant id or slug')
    .action(
      action(async (ctx, name: string, o: { tenant: string }) => {
        const tenant = await ctx.tenant(o.tenant);
        const ectx = await ctx.authorize(tenant.id, 'role.read');
        const rbac = await rbacOf(ctx);
        await rbac.getRole(ectx, { name }); // an unknown role is NOT_FOUND, not an empty list
        const assignments = (await rbac.listAssignments(ectx)).filter((a) => a.role === name);
        const users = await membersOf(await ctx.store(), assignments);
        ctx.out.result(
          users.map(({ roles: _, ...u }) => u),
          () => table(users.map((u) => ({ id: u.id, email: u.email, status: u.status }))),
        );
      }),
    );
  role
    .command('delete <name>')
    .description('delete a custom role and its assignments')
    .requiredOption('--tenant <tenant>', 'tenant id or slug')
    .action(
      action(async (ctx, name: string, o: { tenant: string }) => {
        const tenant = await ctx.tenant(o.tenant);
        const ectx = await ctx.authorize(tenant.id, 'role.write');
        await (await rbacOf(ctx)).deleteRole(ectx, { name });
        ctx.out.result(
          { deleted: name, tenantId: tenant.id },
          () => `deleted role ${name} in ${tenant.slug}`,
        );
      }),
    );

  security
    .command('can <user> <permission>')
    .description(
      'does the user hold the permission in the tenant? exit 0 allowed, 3 denied or conditional (without --resource)',
    )
    .option('--tenant <tenant>', 'tenant id or slug', DEFAULT_TENANT_SLUG)
    .option('--resource <json>', 'the object to decide on, as JSON (e.g. \'{"ownerId":"usr_…"}\')')
    .option('--explain', 'show the deciding rule, its role and the reason')
    .action(
      action(
        async (
          ctx,
          who: string,
          permission: string,
          o: { tenant: string; resource?: string; explain?: boolean },
        ) => {
          const resource = o.resource === undefined ? undefined : readResource(o.resource);
          const tenant = await ctx.tenant(o.tenant);
          const store = await ctx.store();
          const target = await findUser(store, who);
          const rbac = await rbacOf(ctx);
          rbac.catalog.toRule(permission); // an unknown permission is a usage error before anything else
          ctx.authorizedTenantId = tenant.id;
          // A what-if check: rbac authorizes it (role.read to ask about someone else) and records it with the
          // asking actor, the user asked about as its principal, never as that user's own denial.
          const asker = createContext({ tenantId: tenant.id, actor: await ctx.principal() });
          const r = await rbac.checkFor(
            asker,
            { type: 'user', id: target.id },
            permission as BuiltinPermission,
            resource,
          );
          const result = {
            allowed: r.decision === 'allowed',
            outcome: r.decision,
            user: target.id,
            tenantId: tenant.id,
            permission,
            ...(r.conditions ? { conditions: r.conditions } : {}),
            ...(r.fields ? { fields: r.fields } : {}),
            ...(r.deniedFields ? { deniedFields: r.deniedFields } : {}),
          };
          ctx.out.result(o.explain ? { ...result, decision: r.explanation } : result, () =>
            [
              `${r.decision}  ${target.email} ${permission} in ${tenant.slug}`,
              ...(r.decision === 'conditional' ? conditionLines(r) : []),
              ...(o.explain ? decisionLines(r.explanation) : []),
            ].join('\n'),
          );
          if (r.decision !== 'allowed') throw new ExitWith(EXIT.no);
        },
      ),
    );
}
