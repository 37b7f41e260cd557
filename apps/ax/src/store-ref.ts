import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { AxError, type Store, ValidationError } from '@ax/core';

/** Where the store lives, as `--store` / `AX_STORE` / `--db` / `AX_DB` name it. */
export type StoreRef =
  | { kind: 'sqlite'; path: string; display: string }
  | { kind: 'postgres'; url: string; display: string };

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /** Apply pending migrations on open (`init`, `migrate`); otherwise a store needing them is refused. */
  migrate: boolean;
  /** Called with every SQL statement the store runs (bound values inlined): `AX_SQL_TRACE=1`, diagnosis only. */
  onStatement?: (sql: string) => void;
}

/**
 * Parses a store reference: a file path or `sqlite:<path>` (relative to `cwd`), or a `postgres://` /
 * `postgresql://` URL. The password of a URL never appears in `display`.
 */
export function parseStoreRef(value: string, cwd: string): StoreRef {
  const v = value.trim();
  if (v.length === 0) throw new ValidationError('the store reference is empty: give a file path or a URL');
  if (/^postgres(ql)?:\/\//i.test(v)) {
    let display: string;
    try {
      const u = new URL(v);
      if (u.password) u.password = '***';
      display = u.toString();
    } catch {
      throw new ValidationError('the postgres store URL does not parse');
    }
    return { kind: 'postgres', url: v, display };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):(.*)$/i.exec(v);
  // a one-letter "scheme" is a Windows drive (C:\…), not a scheme
  if (scheme && scheme[1]!.length > 1 && scheme[1]!.toLowerCase() !== 'sqlite') {
    throw new ValidationError(
      `unknown store "${scheme[1]}:": use a file path, sqlite:<path> or postgres://…`,
    );
  }
  const raw = scheme && scheme[1]!.toLowerCase() === 'sqlite' ? scheme[2]!.replace(/^\/\//, '') : v;
  if (raw.length === 0) throw new ValidationError('sqlite: needs a file path');
  const path = raw === ':memory:' ? raw : isAbsolute(raw) ? raw : resolve(cwd, raw);
  return { kind: 'sqlite', path, display: path };
}

/** True when the store named by `ref` exists already (a SQLite file; a server is assumed to). */
export function storeExists(ref: StoreRef): boolean {
  return ref.kind !== 'sqlite' || ref.path === ':memory:' || existsSync(ref.path);
}

/**
 * Opens the store `ref` names, loading only that adapter (dynamic import: the app does not depend on the
 * adapters it does not use). An adapter that is not installed is a clear error, not a stack trace.
 */
export async function openStore(ref: StoreRef, options: OpenStoreOptions): Promise<Store> {
  if (ref.kind === 'sqlite') {
    const { openSqliteStore } = await import('@ax/store-sqlite');
    return openSqliteStore(ref.path, {
      migrate: options.migrate,
      ...(options.onStatement ? { onStatement: options.onStatement } : {}),
    });
  }
  const specifier = '@ax/store-postgres';
  let mod: { openPostgresStore?: (url: string, o: { migrate: boolean }) => Promise<Store> };
  try {
    mod = (await import(specifier)) as typeof mod;
  } catch (err) {
    throw new AxError('NOT_FOUND', 404, `${ref.display} needs ${specifier}, which is not installed`, {
      cause: err,
    });
  }
  if (typeof mod.openPostgresStore !== 'function') {
    throw new AxError('INTERNAL', 500, `${specifier} does not export openPostgresStore`);
  }
  return mod.openPostgresStore(ref.url, { migrate: options.migrate });
}
