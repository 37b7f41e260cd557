import { resolve } from 'node:path';
import {
  type Actor,
  type ExecutionContext,
  NotFoundError,
  PLATFORM_TENANT_ID,
  SYSTEM_ACTOR,
  type Store,
  type Tenant,
  UnauthorizedError,
  ValidationError,
} from '@ax/core';
import type { Command } from 'commander';
import { createOutput, type Output } from './output.js';
import { createServices, type Services } from './services/root.js';
import { lookupUser } from './services/security.js';
import { openStore, parseStoreRef, type StoreRef, storeExists } from './store-ref.js';

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

/** What `authorize` checks besides the permission. */
export interface AuthorizeOptions {
  /** The object acted on: a conditional grant (`ownerId: ${user.id}`) is checked against it. */
  object?: Record<string, unknown>;
  /** False to act on an inactive tenant (reactivate it, read it); a refusal still says TENANT_SUSPENDED. */
  requireActiveTenant?: boolean;
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
  /** The services root on the command's store, built once per run. */
  services(): Promise<Services>;
  /** Resolves `--tenant` given as an id or a slug. */
  tenant(idOrSlug: string): Promise<Tenant>;
  /** The actor with `--as` resolved (a user id or e-mail) to the user's id; the system operator without it. */
  principal(): Promise<Actor>;
  /**
   * Enforces, through the guard, that the principal holds `permission` (e.g. `role.write`) in the tenant and
   * that the tenant is active: FORBIDDEN or TENANT_SUSPENDED otherwise, with one `denied` audit event. Returns
   * the execution context to call services with.
   */
  authorize(tenantId: string, permission: string, options?: AuthorizeOptions): Promise<ExecutionContext>;
  /**
   * For commands that act on the whole installation (keys, tenant create/list/suspend, init): the permission
   * checked in the platform pseudo-tenant, where only the system operator and an active platform
   * super-admin hold anything. Returns the context to call services with (its tenant is the platform's).
   */
  authorizePlatform(permission: string): Promise<ExecutionContext>;
  /** The tenant the last successful or refused `authorize` was about: where an `--as` run is audited. */
  authorizedTenantId?: string;
}

// The areas whose commands are about keys and what they protect: they show the keyring's warnings (the insecure
// development key). Others open the keyring only to sign their audit events and stay quiet about it.
const KEY_WARNING_AREAS = new Set(['secret', 'keys', 'audit']);

// The top-level command (`tenant` for `ax tenant list`).
function topCommandOf(cmd: Command): string {
  let c = cmd;
  while (c.parent?.parent) c = c.parent;
  return c.name();
}

/** Builds the context for one command run; `finish()` closes what it opened. */
export function commandContext(cmd: Command, env: CliEnv): { ctx: CommandContext; finish(): Promise<void> } {
  const opts = cmd.optsWithGlobals<GlobalOptions>();
  const out = createOutput(Boolean(opts.json), env.stdout, env.stderr);
  const storeRef = resolveStoreRef(opts, env);
  const dbPath = storeRef.display;
  let opened: Promise<Store> | undefined;
  let services: Promise<Services> | undefined;
  let principal: Promise<Actor> | undefined;
  const ctx: CommandContext = {
    opts,
    out,
    env,
    storeRef,
    dbPath,
    actor: opts.as ? { type: 'user', id: opts.as } : SYSTEM_ACTOR,
    store() {
      // AX_SQL_TRACE=1 prints every statement on stderr (bound values inlined: for diagnosis, never in production)
      const trace =
        env.env.AX_SQL_TRACE === '1' ? (sql: string) => env.stderr.write(`sql: ${sql}\n`) : undefined;
      opened ??= (async () => {
        // a mistyped path must not become a new, empty database: only `ax init` creates one
        if (topCommandOf(cmd) !== 'init' && !storeExists(storeRef)) {
          throw new NotFoundError(`no database at ${storeRef.display}; run \`ax init\` to create it`);
        }
        return openStore(storeRef, { migrate: true, ...(trace ? { onStatement: trace } : {}) });
      })();
      return opened;
    },
    services() {
      services ??= ctx.store().then((store) =>
        createServices({
          store,
          env: env.env,
          // a CLI run encrypts a handful of values then exits, abandoning the rest of its block
          reserveBlockSize: 64,
          onWarning: KEY_WARNING_AREAS.has(topCommandOf(cmd)) ? (m) => out.warn(m) : undefined,
          onListenerError: (err) =>
            out.warn(
              `an audit event could not be written: ${err instanceof Error ? err.message : String(err)}`,
            ),
        }),
      );
      return services;
    },
    async tenant(idOrSlug) {
      const store = await ctx.store();
      const found = idOrSlug.startsWith('tnt_')
        ? await store.tenants.get(idOrSlug)
        : await store.tenants.getBySlug(idOrSlug);
      if (!found) throw new NotFoundError(`tenant ${idOrSlug} not found`);
      return found;
    },
    principal() {
      principal ??= (async (): Promise<Actor> => {
        if (opts.as === undefined) return SYSTEM_ACTOR;
        const user = await lookupUser(await ctx.store(), opts.as);
        if (!user) throw new UnauthorizedError(`--as ${opts.as}: no such user`);
        return { type: 'user', id: user.id };
      })();
      return principal;
    },
    async authorize(tenantId, permission, options = {}) {
      ctx.authorizedTenantId = tenantId;
      const actor = await ctx.principal();
      const guard = await (await ctx.services()).guard();
      return guard.authorize({ tenantId, actor }, { permission, ...options });
    },
    authorizePlatform(permission) {
      return ctx.authorize(PLATFORM_TENANT_ID, permission);
    },
  };
  return {
    ctx,
    async finish() {
      if (opened) await (await opened.catch(() => null))?.close();
    },
  };
}
