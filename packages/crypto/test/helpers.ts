import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore, type SqliteStore } from '@ax/store-sqlite';
import { Keyring, type KeyringOptions, MemoryKeyringStore } from '../src/index.js';

/** A fixed, strong test master key (raw, 32 bytes). */
export const TEST_MASTER_KEY = `base64:${Buffer.from(Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff)).toString('base64')}`;

/** Opens a keyring on a fresh memory store. */
export function memoryKeyring(over: Partial<KeyringOptions> = {}): Promise<Keyring> {
  return Keyring.open({ store: new MemoryKeyringStore(), masterKey: TEST_MASTER_KEY, env: {}, ...over });
}

/** A temp SQLite file store, removed by cleanup. */
export async function sqliteStore(): Promise<{ store: SqliteStore; file: string; cleanup(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'ax-crypto-'));
  const file = join(dir, 'ax.db');
  const store = await openSqliteStore(file);
  return {
    store,
    file,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs `fn` and returns what it threw (failing when it did not throw). */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}
