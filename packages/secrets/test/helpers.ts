import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Tenant } from '@ax/core';
import { Keyring } from '@ax/crypto';
import { openSqliteStore, type SqliteStore } from '@ax/store-sqlite';
import { makeTenant } from '@ax/store-testkit';
import { type SecretEvent, SecretsManager, type SecretScope } from '../src/index.js';

/** A fixed, strong test master key. */
export const TEST_MASTER_KEY = `base64:${Buffer.from(Uint8Array.from({ length: 32 }, (_, i) => (i * 53 + 7) & 0xff)).toString('base64')}`;

export interface Fixture {
  dir: string;
  file: string;
  store: SqliteStore;
  keyring: Keyring;
  secrets: SecretsManager;
  a: Tenant;
  b: Tenant;
  scopeA: SecretScope;
  scopeB: SecretScope;
  cleanup(): Promise<void>;
}

/** A file-backed store with two tenants, a keyring and a manager. */
export async function fixture(keepVersions?: number): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'ax-secrets-'));
  const file = join(dir, 'ax.db');
  const store = await openSqliteStore(file);
  const a = makeTenant({ slug: 'acme' });
  const b = makeTenant({ slug: 'globex' });
  await store.tenants.insert(a);
  await store.tenants.insert(b);
  const keyring = await Keyring.open({ store: store.keyring, masterKey: TEST_MASTER_KEY, env: {} });
  const secrets = new SecretsManager({ store, keyring, keepVersions });
  return {
    dir,
    file,
    store,
    keyring,
    secrets,
    a,
    b,
    scopeA: { tenantId: a.id, actor: { type: 'user', id: 'usr_alice' } },
    scopeB: { tenantId: b.id, actor: { type: 'user', id: 'usr_bob' } },
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs `fn` with a fresh fixture and always cleans up. */
export async function withSecrets(fn: (f: Fixture) => Promise<void>, keepVersions?: number): Promise<void> {
  const f = await fixture(keepVersions);
  try {
    await fn(f);
  } finally {
    await f.cleanup();
  }
}

/** Subscribes `fn` after commit to every secret event; returns the unsubscribe function. */
export function onEverySecretEvent(secrets: SecretsManager, fn: (e: SecretEvent) => void): () => void {
  const offs = (['created', 'updated', 'accessed', 'deleted'] as const).map((t) =>
    secrets.events.afterCommit(t, fn),
  );
  return () => {
    for (const off of offs) off();
  };
}
