import { resolve } from 'node:path';
import { type Actor, NotFoundError, SYSTEM_ACTOR, type Tenant } from '@ax/core';
import { openSqliteStore, type SqliteStore } from '@ax/store-sqlite';
import type { Command } from 'commander';
import { createOutput, type Output } from './output.js';

/** Options every command accepts (declared on the root program). */
export interface GlobalOptions {
  db?: string;
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

/** The database path: `--db`, else `AX_DB`, else `./.ax/ax.db`. */
export function resolveDbPath(opts: GlobalOptions, env: CliEnv): string {
  return resolve(env.cwd, opts.db ?? env.env.AX_DB ?? '.ax/ax.db');
}

/** What a command's action receives. */
export interface CommandContext {
  opts: GlobalOptions;
  out: Output;
  env: CliEnv;
  dbPath: string;
  /** The actor the command runs as: the `--as` user, else the system operator. */
  actor: Actor;
  /** Opens the store once (migrating it); closed after the command. */
  store(): Promise<SqliteStore>;
  /** Resolves `--tenant` given as an id or a slug. */
  tenant(idOrSlug: string): Promise<Tenant>;
}

/** Builds the context for one command run; `finish()` closes what it opened. */
export function commandContext(cmd: Command, env: CliEnv): { ctx: CommandContext; finish(): Promise<void> } {
  const opts = cmd.optsWithGlobals<GlobalOptions>();
  const out = createOutput(Boolean(opts.json), env.stdout, env.stderr);
  const dbPath = resolveDbPath(opts, env);
  let opened: Promise<SqliteStore> | undefined;
  const ctx: CommandContext = {
    opts,
    out,
    env,
    dbPath,
    actor: opts.as ? { type: 'user', id: opts.as } : SYSTEM_ACTOR,
    store() {
      opened ??= openSqliteStore(dbPath);
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
  };
  return {
    ctx,
    async finish() {
      if (opened) await (await opened.catch(() => null))?.close();
    },
  };
}
