import { resolve } from 'node:path';
import {
  type Actor,
  createContext,
  type ExecutionContext,
  ForbiddenError,
  NotFoundError,
  SYSTEM_ACTOR,
  type Store,
  type Tenant,
  UnauthorizedError,
  ValidationError,
} from '@ax/core';
import type { Command } from 'commander';
import { createOutput, type Output } from './output.js';
import { openStore, parseStoreRef, type StoreRef } from './store-ref.js';
import { findUser, rbacFor } from './services/security.js';

/** Options every command accepts (declared on the root program). */
export interface GlobalOptions {
  db?: string;
  store?: string;
  json?: boolean;
  debug?: boolean;
  as?: string;
}

/** Process-level things a command needs; injected so tests can run the CLI in-process. */
export interface CliEnv {
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdout: NodeJS.WritableStream & import('node:stream').Writable;
  stderr: NodeJS.WritableStream & import('node:stream').Writable;
  stdin: NodeJS.ReadableStream;
}

/**
 * The store: `--store`, else `--db`, else `AX_STORE`, else `AX_DB`, else `./.ax/ax.db`. A file path or
 * `sqlite:<path>` names a SQLite file; `postgres://…` a PostgreSQL server (with @ax/store-postgres installed).
 */
export function resolveStoreRef(opts: GlobalOptions, env: CliEnv): StoreRef {
  if (opts.store !== undefined && opts.db !== undefined) {
    throw new ValidationError('give --store or --db, not both');
  }
  const named = opts.store ?? opts.db ?? env.env.AX_STORE ?? env.env.AX_DB ?? '.ax/ax.db';
  return parseStoreRef(named, resolve(env.cwd));
}

/** What a command's action receives. */
export interface CommandContext {
  opts: GlobalOptions;
  out: Output;
  env: CliEnv;
  /** The store as the command names it (`--store`, `--db`, `AX_STORE`, `AX_DB`). */
  storeRef: StoreRef;
  /** The store for a person to read: the file path, or the URL without its password. */
  dbPath: string;
  /** The actor the command runs as: the `--as` user, else the system operator. */
  actor: Actor;
  /** Opens the store once (migrating it); closed after the command. */
  store(): Promise<Store>;
  /** Resolves `--tenant` given as an id or a slug. */
  tenant(idOrSlug: string): Promise<Tenant>;
  /** The actor with `--as` resolved (a user id or e-mail) to the user's id; the system operator without it. */
  principal(): Promise<Actor>;
  /**
   * Enforces that the principal holds `permission` (e.g. `role.write`) in the tenant, throwing ForbiddenError
   * otherwise (the system operator holds everything), and returns the execution context to call services with.
   */
  authorize(tenantId: string, permission: string): Promise<ExecutionContext>;
  /**
   * For commands that act on the whole installation (keys, tenant create/list, init): the system operator,
   * or an active platform super-admin given with `--as`. Anyone else gets ForbiddenError. Returns the actor.
   */
  authorizePlatform(what: string): Promise<Actor>;
  /** The tenant the last successful or refused `authorize` was about: where an `--as` run is audited. */
  authorizedTenantId?: string;
}

/** Builds the context for one command run; `finish()` closes what it opened. */
export function commandContext(cmd: Command, env: CliEnv): { ctx: CommandContext; finish(): Promise<void> } {
  const opts = cmd.optsWithGlobals<GlobalOptions>();
  const out = createOutput(Boolean(opts.json), env.stdout, env.stderr);
  const storeRef = resolveStoreRef(opts, env);
  const dbPath = storeRef.display;
  let opened: Promise<Store> | undefined;
  const ctx: CommandContext = {
    opts,
    out,
    env,
    storeRef,
    dbPath,
    actor: opts.as ? { type: 'user', id: opts.as } : SYSTEM_ACTOR,
    store() {
      opened ??= openStore(storeRef, { migrate: true });
      return opened;
    },
    async tenant(idOrSlug) {
      const store = await ctx.store();
      const found = idOrSlug.startsWith('tnt_')
        ? await store.tenants.get(idOrSlug)
        : await store.tenants.getBySlug(idOrSlug);
      if (!found) throw new NotFoundError(`tenant ${idOrSlug} not found`);
      return found;
    },
    async principal() {
      if (!opts.as) return SYSTEM_ACTOR;
      const user = await findUser(await ctx.store(), opts.as).catch(() => {
        throw new UnauthorizedError(`--as ${opts.as}: no such user`);
      });
      return { type: 'user', id: user.id };
    },
    async authorize(tenantId, permission) {
      ctx.authorizedTenantId = tenantId;
      const ectx = createContext({ tenantId, actor: await ctx.principal() });
      const rbac = rbacFor(await ctx.store());
      const { action, subject } = rbac.catalog.toRule(permission);
      await rbac.require(ectx, action, subject);
      return ectx;
    },
    async authorizePlatform(what) {
      const principal = await ctx.principal();
      if (principal.type === 'system') return principal;
      const store = await ctx.store();
      const [user, superAdmins] = await Promise.all([
        store.users.get(principal.id),
        store.rbac.listSuperAdmins(),
      ]);
      if (user?.status !== 'active' || !superAdmins.includes(principal.id)) {
        throw new ForbiddenError(`${what} needs a platform super-admin; --as ${opts.as} is not one`, {
          details: { permission: what, actor: principal, denial: 'platform-only' },
        });
      }
      return principal;
    },
  };
  return {
    ctx,
    async finish() {
      if (opened) await (await opened.catch(() => null))?.close();
    },
  };
}
