import { ConflictError, NotFoundError } from '@ax/core';
import { describe, expect, it } from 'vitest';
import { type SecretEvent, SecretsManager } from '../src/index.js';
import { withSecrets } from './helpers.js';

// In-transaction listeners are how an audit event commits with the change (or read) it describes, or not at all.
describe('in-transaction events: a change and its record in one transaction', () => {
  it('run inside the write: they see the uncommitted version, and a throw rolls the write back', () =>
    withSecrets(async ({ store, keyring, scopeA }) => {
      const seen: { event: SecretEvent; headInTx: number | undefined }[] = [];
      const committed: string[] = [];
      let fail = false;
      const secrets = new SecretsManager({ store, keyring });
      for (const type of ['created', 'updated', 'deleted'] as const) {
        secrets.events.inTransaction(type, async (event, { tx }) => {
          const head = await tx.secrets.head(event.tenantId, event.key);
          seen.push({ event, headInTx: head?.currentVersion });
          if (fail) throw new Error('audit store unavailable');
        });
        secrets.events.afterCommit(type, (event) => {
          committed.push(`${event.type} ${event.version}`);
        });
      }
      await secrets.set(scopeA, { key: 'api', value: 'v1' });
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({ event: { type: 'created', key: 'api', version: 1 }, headInTx: 1 });

      fail = true;
      await expect(secrets.set(scopeA, { key: 'api', value: 'v2' })).rejects.toThrow(
        /audit store unavailable/,
      );
      expect(await secrets.get(scopeA, { key: 'api' })).toBe('v1'); // rolled back with its record
      await expect(secrets.delete(scopeA, { key: 'api' })).rejects.toThrow(/audit store unavailable/);
      expect(await secrets.has(scopeA, { key: 'api' })).toBe(true);

      fail = false;
      expect(await secrets.delete(scopeA, { key: 'api' })).toBe(true);
      expect(seen.map((s) => [s.event.type, s.event.version])).toEqual([
        ['created', 1],
        ['updated', 2],
        ['deleted', 1],
        ['deleted', 1],
      ]);
      // after-commit listeners are told of the committed writes only, never of the rolled-back ones
      expect(committed).toEqual(['created 1', 'deleted 1']);
      await expect(secrets.get(scopeA, { key: 'api' })).rejects.toBeInstanceOf(NotFoundError);
    }));

  it('join the caller’s transaction: rolled back together, and never called for a refused cas', () =>
    withSecrets(async ({ store, keyring, scopeA }) => {
      const recorded: SecretEvent[] = [];
      const committed: SecretEvent[] = [];
      const secrets = new SecretsManager({ store, keyring });
      secrets.events.inTransaction('created', (event) => {
        recorded.push(event);
      });
      secrets.events.afterCommit('created', (event) => {
        committed.push(event);
      });
      await expect(
        store.transaction(async (tx) => {
          await secrets.set(scopeA, { key: 'db', value: 'postgres://x' }, { tx });
          throw new Error('business step failed');
        }),
      ).rejects.toThrow(/business step failed/);
      expect(await secrets.has(scopeA, { key: 'db' })).toBe(false);
      expect(recorded).toHaveLength(1); // called, then rolled back with the caller's transaction

      await secrets.set(scopeA, { key: 'db', value: 'one' });
      await expect(secrets.set(scopeA, { key: 'db', value: 'two', cas: 0 })).rejects.toBeInstanceOf(
        ConflictError,
      );
      expect(recorded.map((e) => e.version)).toEqual([1, 1]);
      expect(committed.map((e) => e.version)).toEqual([1]); // never told of the rolled-back write
    }));

  it('a read with an in-transaction `accessed` listener fails closed: no value without its record', () =>
    withSecrets(async ({ store, keyring, scopeA }) => {
      const secrets = new SecretsManager({ store, keyring });
      await secrets.set(scopeA, { key: 'k', value: 'the-value' });
      let fail = false;
      const reads: number[] = [];
      secrets.events.inTransaction('accessed', async (e, { tx }) => {
        // the read runs in a transaction: the listener writes through its ports
        expect((await tx.secrets.head(e.tenantId, e.key))?.currentVersion).toBe(1);
        reads.push(e.version);
        if (fail) throw new Error('audit device failed');
      });
      expect(await secrets.get(scopeA, { key: 'k' })).toBe('the-value');
      fail = true;
      await expect(secrets.get(scopeA, { key: 'k' })).rejects.toThrow(/audit device failed/);
      await expect(secrets.getMany(scopeA, { keys: ['k'] })).rejects.toThrow(/audit device failed/);
      expect(reads).toEqual([1, 1, 1]);
    }));

  it('after-commit `accessed` listeners are never told of a read whose transaction rolled back', () =>
    withSecrets(async ({ store, keyring, scopeA }) => {
      const secrets = new SecretsManager({ store, keyring });
      await secrets.set(scopeA, { key: 'a', value: '1' });
      await secrets.set(scopeA, { key: 'b', value: '2' });
      let failOn: string | undefined;
      secrets.events.inTransaction('accessed', (e) => {
        if (e.key === failOn) throw new Error('audit device failed');
      });
      const observed: string[] = [];
      secrets.events.afterCommit('accessed', (e) => {
        observed.push(e.key);
      });
      expect(await secrets.getMany(scopeA, { keys: ['a', 'b'] })).toEqual(
        new Map([
          ['a', '1'],
          ['b', '2'],
        ]),
      );
      expect([...observed].sort()).toEqual(['a', 'b']);
      // one of the two records fails: the other's after-commit call, already deferred, must be dropped
      observed.length = 0;
      failOn = 'b';
      await expect(secrets.getMany(scopeA, { keys: ['a', 'b'] })).rejects.toThrow(/audit device failed/);
      failOn = 'a';
      await expect(secrets.getMany(scopeA, { keys: ['a', 'b'] })).rejects.toThrow(/audit device failed/);
      expect(observed).toEqual([]);
    }));

  it('with only after-commit `accessed` listeners a read stays a plain read, observed after it', () =>
    withSecrets(async ({ store, keyring, scopeA }) => {
      let transactions = 0;
      const counting = {
        ...store,
        secrets: store.secrets,
        transaction: <T>(fn: (tx: never) => Promise<T>) => {
          transactions++;
          return store.transaction(fn as never) as Promise<T>;
        },
      };
      const secrets = new SecretsManager({ store: counting as unknown as typeof store, keyring });
      await secrets.set(scopeA, { key: 'k', value: 'v' });
      const errors: unknown[] = [];
      const observer = new SecretsManager({
        store: counting as unknown as typeof store,
        keyring,
        onListenerError: (err) => errors.push(err),
      });
      const seen: number[] = [];
      observer.events.afterCommit('accessed', (e) => {
        seen.push(e.version);
        throw new Error('observer broke');
      });
      const before = transactions;
      expect(await observer.get(scopeA, { key: 'k' })).toBe('v');
      expect(transactions).toBe(before);
      expect(seen).toEqual([1]);
      expect(errors).toHaveLength(1);
    }));
});
