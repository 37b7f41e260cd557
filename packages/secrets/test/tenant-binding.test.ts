import { CryptoError } from '@ax/core';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { withSecrets } from './helpers.js';

/** A raw write connection: what an attacker with database access (or a buggy migration) can do. */
function raw(file: string) {
  const db = new BetterSqlite3(file);
  db.pragma('busy_timeout = 5000');
  return {
    ciphertext(tenantId: string, key: string, version: number): string {
      return (
        db
          .prepare('SELECT ciphertext FROM secret_versions WHERE tenant_id = ? AND key = ? AND version = ?')
          .get(tenantId, key, version) as { ciphertext: string }
      ).ciphertext;
    },
    put(tenantId: string, key: string, version: number, ciphertext: string): void {
      const n = db
        .prepare('UPDATE secret_versions SET ciphertext = ? WHERE tenant_id = ? AND key = ? AND version = ?')
        .run(ciphertext, tenantId, key, version).changes;
      expect(n).toBe(1);
    },
    close: () => db.close(),
  };
}

describe('ciphertexts are bound to tenant, key and version', () => {
  it("a ciphertext moved from tenant A's row into tenant B's row fails to decrypt", () =>
    withSecrets(async ({ secrets, scopeA, scopeB, a, b, file }) => {
      await secrets.set(scopeA, { key: 'openai/key', value: 'sk-tenant-a' });
      await secrets.set(scopeB, { key: 'openai/key', value: 'sk-tenant-b' });
      const probe = raw(file);
      try {
        probe.put(b.id, 'openai/key', 1, probe.ciphertext(a.id, 'openai/key', 1));
      } finally {
        probe.close();
      }
      await expect(secrets.get(scopeB, { key: 'openai/key' })).rejects.toBeInstanceOf(CryptoError);
      expect(await secrets.get(scopeA, { key: 'openai/key' })).toBe('sk-tenant-a');
    }));

  it('a ciphertext moved to another key or another version of the same secret fails to decrypt', () =>
    withSecrets(async ({ secrets, scopeA, a, file }) => {
      await secrets.set(scopeA, { key: 'k1', value: 'one' });
      await secrets.set(scopeA, { key: 'k2', value: 'two' });
      await secrets.set(scopeA, { key: 'k1', value: 'one-v2' });
      const probe = raw(file);
      try {
        probe.put(a.id, 'k2', 1, probe.ciphertext(a.id, 'k1', 1)); // other key
        probe.put(a.id, 'k1', 2, probe.ciphertext(a.id, 'k1', 1)); // rollback to an older version's value
      } finally {
        probe.close();
      }
      await expect(secrets.get(scopeA, { key: 'k2' })).rejects.toBeInstanceOf(CryptoError);
      await expect(secrets.get(scopeA, { key: 'k1' })).rejects.toBeInstanceOf(CryptoError);
      expect(await secrets.get(scopeA, { key: 'k1', version: 1 })).toBe('one');
    }));

  it('a tampered ciphertext in the database fails with CryptoError, never wrong plaintext', () =>
    withSecrets(async ({ secrets, scopeA, a, file }) => {
      await secrets.set(scopeA, { key: 'k', value: 'the-value' });
      const probe = raw(file);
      try {
        const ct = probe.ciphertext(a.id, 'k', 1);
        const last = ct.at(-2) === 'A' ? 'B' : 'A';
        probe.put(a.id, 'k', 1, `${ct.slice(0, -2)}${last}${ct.at(-1)}`);
      } finally {
        probe.close();
      }
      await expect(secrets.get(scopeA, { key: 'k' })).rejects.toBeInstanceOf(CryptoError);
    }));
});
