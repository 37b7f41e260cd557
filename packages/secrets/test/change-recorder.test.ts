import { ConflictError, NotFoundError } from '@ax/core';
import { describe, expect, it } from 'vitest';
import { type SecretEvent, SecretsManager } from '../src/index.js';
import { withSecrets } from './helpers.js';

// The change recorder is how an audit event commits with the change it describes, or not at all.
describe('recordChange: a change and its record in one transaction', () => {
  it('runs inside the write: it sees the uncommitted version, and its throw rolls the write back', () =>
    withSecrets(async ({ store, keyring, scopeA }) => {
      const seen: { event: SecretEvent; headInTx: number | undefined }[] = [];
      let fail = false;
      const secrets = new SecretsManager({
        store,
        keyring,
        recordChange: async (event, tx) => {
          const head = await tx.secrets.head(event.tenantId, event.key);
          seen.push({ event, headInTx: head?.currentVersion });
          if (fail) throw new Error('audit store unavailable');
        },
      });
      await secrets.set(scopeA, 'api', 'v1');
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({ event: { type: 'created', key: 'api', version: 1 }, headInTx: 1 });

      fail = true;
      await expect(secrets.set(scopeA, 'api', 'v2')).rejects.toThrow(/audit store unavailable/);
      expect(await secrets.get(scopeA, 'api')).toBe('v1'); // the update was rolled back with its record
      await expect(secrets.delete(scopeA, 'api')).rejects.toThrow(/audit store unavailable/);
      expect(await secrets.has(scopeA, 'api')).toBe(true);

      fail = false;
      expect(await secrets.delete(scopeA, 'api')).toBe(true);
      expect(seen.map((s) => [s.event.type, s.event.version])).toEqual([
        ['created', 1],
        ['updated', 2],
        ['deleted', 1],
        ['deleted', 1],
      ]);
      await expect(secrets.get(scopeA, 'api')).rejects.toBeInstanceOf(NotFoundError);
    }));

  it('joins the caller’s transaction: rolled back together, and never called for a refused cas', () =>
    withSecrets(async ({ store, keyring, scopeA }) => {
      const recorded: SecretEvent[] = [];
      const secrets = new SecretsManager({
        store,
        keyring,
        recordChange: async (event) => {
          recorded.push(event);
        },
      });
      await expect(
        store.transaction(async (tx) => {
          await secrets.set(scopeA, 'db', 'postgres://x', { tx });
          throw new Error('business step failed');
        }),
      ).rejects.toThrow(/business step failed/);
      expect(await secrets.has(scopeA, 'db')).toBe(false);
      expect(recorded).toHaveLength(1); // called, then rolled back with the caller's transaction

      await secrets.set(scopeA, 'db', 'one');
      await expect(secrets.set(scopeA, 'db', 'two', { cas: 0 })).rejects.toBeInstanceOf(ConflictError);
      expect(recorded.map((e) => e.version)).toEqual([1, 1]);
    }));
});
