import { ConflictError, CryptoError, NotFoundError, ValidationError } from '@ax/core';
import { describe, expect, it } from 'vitest';
import type { SecretEvent } from '../src/index.js';
import { onEverySecretEvent, withSecrets } from './helpers.js';

describe('SecretsManager', () => {
  it('sets and gets a value, bumping versions, and reads any kept version', () =>
    withSecrets(async ({ secrets, scopeA }) => {
      expect(await secrets.set(scopeA, { key: 'stripe/api-key', value: 'sk_live_1' })).toEqual({
        version: 1,
        created: true,
      });
      expect(await secrets.set(scopeA, { key: 'stripe/api-key', value: 'sk_live_2' })).toEqual({
        version: 2,
        created: false,
      });
      expect(await secrets.get(scopeA, { key: 'stripe/api-key' })).toBe('sk_live_2');
      expect(await secrets.get(scopeA, { key: 'stripe/api-key', version: 1 })).toBe('sk_live_1');
      const bytes = new Uint8Array([0, 255, 1]);
      await secrets.set(scopeA, { key: 'bin', value: bytes });
      expect([...(await secrets.getBytes(scopeA, { key: 'bin' }))]).toEqual([0, 255, 1]);
      expect(await secrets.has(scopeA, { key: 'stripe/api-key' })).toBe(true);
      expect(await secrets.has(scopeA, { key: 'nope' })).toBe(false);
      await expect(secrets.get(scopeA, { key: 'nope' })).rejects.toBeInstanceOf(NotFoundError);
      await expect(secrets.get(scopeA, { key: 'stripe/api-key', version: 3 })).rejects.toBeInstanceOf(
        NotFoundError,
      );
    }));

  it('read() returns the value with the version it came from, current or asked for', () =>
    withSecrets(async ({ secrets, scopeA, scopeB }) => {
      await secrets.set(scopeA, { key: 'k', value: 'one' });
      await secrets.set(scopeA, { key: 'k', value: 'two' });
      expect(await secrets.read(scopeA, { key: 'k' })).toEqual({ value: 'two', version: 2 });
      expect(await secrets.read(scopeA, { key: 'k', version: 1 })).toEqual({ value: 'one', version: 1 });
      await expect(secrets.read(scopeB, { key: 'k' })).rejects.toBeInstanceOf(NotFoundError);
    }));

  it('keeps 10 versions by default, like KV v2', () =>
    withSecrets(async ({ secrets, scopeA }) => {
      for (let i = 1; i <= 13; i++) await secrets.set(scopeA, { key: 'k', value: `v${i}` });
      const versions = await secrets.versions(scopeA, { key: 'k' });
      expect(versions.map((v) => v.version)).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
      expect(versions.filter((v) => v.current).map((v) => v.version)).toEqual([13]);
      expect(versions[0]).toMatchObject({ keyVersion: 1, createdBy: 'user:usr_alice' });
      expect(versions[0]).not.toHaveProperty('ciphertext');
      expect(await secrets.get(scopeA, { key: 'k', version: 4 })).toBe('v4');
      await expect(secrets.get(scopeA, { key: 'k', version: 3 })).rejects.toBeInstanceOf(NotFoundError);
    }));

  it('honours a configured number of versions', () =>
    withSecrets(async ({ secrets, scopeA }) => {
      for (let i = 1; i <= 5; i++) await secrets.set(scopeA, { key: 'k', value: `v${i}` });
      expect((await secrets.versions(scopeA, { key: 'k' })).map((v) => v.version)).toEqual([4, 5]);
    }, 2));

  it('check-and-set: writes only at the expected version', () =>
    withSecrets(async ({ secrets, scopeA }) => {
      await expect(secrets.set(scopeA, { key: 'k', value: 'x', cas: 1 })).rejects.toBeInstanceOf(
        ConflictError,
      );
      expect((await secrets.set(scopeA, { key: 'k', value: 'one', cas: 0 })).version).toBe(1);
      await expect(secrets.set(scopeA, { key: 'k', value: 'again', cas: 0 })).rejects.toBeInstanceOf(
        ConflictError,
      );
      expect((await secrets.set(scopeA, { key: 'k', value: 'two', cas: 1 })).version).toBe(2);
      await expect(secrets.set(scopeA, { key: 'k', value: 'stale', cas: 1 })).rejects.toBeInstanceOf(
        ConflictError,
      );
      expect(await secrets.get(scopeA, { key: 'k' })).toBe('two');
      await expect(secrets.delete(scopeA, { key: 'k', cas: 1 })).rejects.toBeInstanceOf(ConflictError);
      expect(await secrets.delete(scopeA, { key: 'k', cas: 2 })).toBe(true);
    }));

  it('concurrent writers without cas all land as distinct versions; with cas exactly one wins', () =>
    withSecrets(async ({ secrets, scopeA }) => {
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => secrets.set(scopeA, { key: 'k', value: `w${i}` })),
      );
      expect(results.map((r) => r.version).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      const cas = await Promise.allSettled(
        Array.from({ length: 6 }, (_, i) => secrets.set(scopeA, { key: 'k', value: `c${i}`, cas: 8 })),
      );
      expect(cas.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of cas) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ConflictError);
    }));

  it('lists metadata only, by prefix and page', () =>
    withSecrets(async ({ secrets, scopeA, scopeB }) => {
      for (const k of ['db/password', 'db/user', 'stripe/key'])
        await secrets.set(scopeA, { key: k, value: `value-of-${k}` });
      await secrets.set(scopeB, { key: 'db/other', value: 'b' });
      const all = await secrets.list(scopeA);
      expect(all.map((m) => m.key)).toEqual(['db/password', 'db/user', 'stripe/key']);
      expect(JSON.stringify(all)).not.toContain('value-of');
      expect(Object.keys(all[0]!).sort()).toEqual([
        'createdAt',
        'createdBy',
        'currentVersion',
        'key',
        'updatedAt',
        'updatedBy',
      ]);
      expect((await secrets.list(scopeA, { prefix: 'db/' })).map((m) => m.key)).toEqual([
        'db/password',
        'db/user',
      ]);
      expect((await secrets.list(scopeA, { afterKey: 'db/user', limit: 5 })).map((m) => m.key)).toEqual([
        'stripe/key',
      ]);
    }));

  it('getMany returns present keys only', () =>
    withSecrets(async ({ secrets, scopeA, scopeB }) => {
      await secrets.set(scopeA, { key: 'a', value: '1' });
      await secrets.set(scopeA, { key: 'b', value: '2' });
      await secrets.set(scopeB, { key: 'c', value: '3' });
      expect(Object.fromEntries(await secrets.getMany(scopeA, { keys: ['a', 'b', 'c', 'missing'] }))).toEqual(
        {
          a: '1',
          b: '2',
        },
      );
    }));

  it('rotate writes a new random value to an existing secret only', () =>
    withSecrets(async ({ secrets, scopeA }) => {
      await expect(secrets.rotate(scopeA, { key: 'webhook' })).rejects.toBeInstanceOf(NotFoundError);
      await secrets.set(scopeA, { key: 'webhook', value: 'initial' });
      expect(await secrets.rotate(scopeA, { key: 'webhook' })).toEqual({ version: 2 });
      const fresh = await secrets.get(scopeA, { key: 'webhook' });
      expect(fresh).toMatch(/^[A-Za-z0-9_-]{43}$/);
      await secrets.rotate(scopeA, { key: 'webhook', value: 'explicit', cas: 2 });
      expect(await secrets.get(scopeA, { key: 'webhook' })).toBe('explicit');
    }));

  it("keeps tenants apart: B neither sees nor reads A's secret of the same name", () =>
    withSecrets(async ({ secrets, scopeA, scopeB }) => {
      await secrets.set(scopeA, { key: 'shared', value: 'for-a' });
      await expect(secrets.get(scopeB, { key: 'shared' })).rejects.toBeInstanceOf(NotFoundError);
      expect(await secrets.has(scopeB, { key: 'shared' })).toBe(false);
      expect(await secrets.delete(scopeB, { key: 'shared' })).toBe(false);
      await secrets.set(scopeB, { key: 'shared', value: 'for-b' });
      expect(await secrets.get(scopeA, { key: 'shared' })).toBe('for-a');
      expect(await secrets.get(scopeB, { key: 'shared' })).toBe('for-b');
    }));

  it('validates every input with paths', () =>
    withSecrets(async ({ secrets, scopeA }) => {
      await expect(secrets.set(scopeA, { key: '../etc', value: 'x' })).rejects.toBeInstanceOf(
        ValidationError,
      );
      await expect(secrets.set(scopeA, { key: 'k', value: 'x'.repeat(70_000) })).rejects.toBeInstanceOf(
        ValidationError,
      );
      await expect(
        secrets.get({ tenantId: '', actor: { type: 'user', id: 'u' } }, { key: 'k' }),
      ).rejects.toBeInstanceOf(ValidationError);
      await expect(secrets.get(scopeA, { key: undefined as unknown as string })).rejects.toBeInstanceOf(
        ValidationError,
      );
      await expect(secrets.set(scopeA, { key: 'k', value: 'x', cas: -1 })).rejects.toBeInstanceOf(
        ValidationError,
      );
      await expect(secrets.get(scopeA, { key: 'k', version: 0 })).rejects.toBeInstanceOf(ValidationError);
      // A `tx` without the secrets port must not silently fall back to writing outside the transaction.
      for (const tx of [{}, { secrets: null }, { secrets: {} }, 'tx']) {
        const bad = { tx } as unknown as { tx: never };
        await expect(secrets.set(scopeA, { key: 'k', value: 'x' }, bad)).rejects.toBeInstanceOf(
          ValidationError,
        );
        await expect(secrets.rotate(scopeA, { key: 'k' }, bad)).rejects.toBeInstanceOf(ValidationError);
        await expect(secrets.delete(scopeA, { key: 'k' }, bad)).rejects.toBeInstanceOf(ValidationError);
      }
      expect(await secrets.has(scopeA, { key: 'k' })).toBe(false);
    }));

  it('emits typed events with tenant, key, version and actor, and never a value', () =>
    withSecrets(async ({ secrets, scopeA, a }) => {
      const seen: SecretEvent[] = [];
      const off = onEverySecretEvent(secrets, (e) => seen.push(e));
      await secrets.set({ ...scopeA, requestId: 'req_1' }, { key: 'k', value: 'marker-value-1' });
      await secrets.set(scopeA, { key: 'k', value: 'marker-value-2' });
      await secrets.get(scopeA, { key: 'k' });
      await secrets.delete(scopeA, { key: 'k' });
      off();
      await secrets.set(scopeA, { key: 'k', value: 'after-unsubscribe' });
      expect(seen.map((e) => [e.type, e.version])).toEqual([
        ['created', 1],
        ['updated', 2],
        ['accessed', 2],
        ['deleted', 2],
      ]);
      expect(seen[0]).toEqual({
        type: 'created',
        tenantId: a.id,
        key: 'k',
        version: 1,
        actor: { type: 'user', id: 'usr_alice' },
        at: expect.any(Number),
        requestId: 'req_1',
      });
      expect(JSON.stringify(seen)).not.toMatch(/marker-value|ax:v1/);
    }));

  it('a throwing listener does not undo or fail the write', () =>
    withSecrets(async ({ store, keyring, scopeA }) => {
      const { SecretsManager } = await import('../src/index.js');
      const errors: unknown[] = [];
      const m = new SecretsManager({ store, keyring, onListenerError: (err) => errors.push(err) });
      m.events.afterCommit('created', () => {
        throw new Error('listener broke');
      });
      expect((await m.set(scopeA, { key: 'k', value: 'v' })).version).toBe(1);
      expect(await m.get(scopeA, { key: 'k' })).toBe('v');
      expect(errors).toHaveLength(1);
    }));

  it('writes inside a caller transaction commit or roll back with it', () =>
    withSecrets(async ({ store, secrets, scopeA }) => {
      await expect(
        store.transaction(async (tx) => {
          await secrets.set(scopeA, { key: 'k', value: 'v' }, { tx });
          throw new Error('rollback');
        }),
      ).rejects.toThrow('rollback');
      expect(await secrets.has(scopeA, { key: 'k' })).toBe(false);
      await store.transaction((tx) => secrets.set(scopeA, { key: 'k', value: 'v' }, { tx }));
      expect(await secrets.get(scopeA, { key: 'k' })).toBe('v');
    }));

  it('writes inside transactions keep working when the keyring must reserve a new block mid-transaction', () =>
    withSecrets(async ({ store, scopeA }) => {
      const { Keyring } = await import('@ax/crypto');
      const { SecretsManager } = await import('../src/index.js');
      const { TEST_MASTER_KEY } = await import('./helpers.js');
      const keyring = await Keyring.open({
        store: store.keyring,
        masterKey: TEST_MASTER_KEY,
        env: {},
        reserveBlockSize: 3,
      });
      const m = new SecretsManager({ store, keyring });
      for (let i = 0; i < 20; i++) {
        await store.transaction(async (tx) => {
          await m.set(scopeA, { key: `k${i % 4}`, value: `v${i}` }, { tx });
          await m.set(scopeA, { key: `other${i % 4}`, value: `w${i}` }, { tx });
        });
      }
      expect(await m.get(scopeA, { key: 'k3' })).toBe('v19');
      expect((await keyring.status()).versions[0]!.encryptions).toBeGreaterThanOrEqual(40);
    }));

  it('rolled-back transactions undo their writes but never the encryption blocks they used', () =>
    withSecrets(async ({ store, scopeA }) => {
      const { Keyring } = await import('@ax/crypto');
      const { SecretsManager } = await import('../src/index.js');
      const { TEST_MASTER_KEY } = await import('./helpers.js');
      const keyring = await Keyring.open({
        store: store.keyring,
        masterKey: TEST_MASTER_KEY,
        env: {},
        reserveBlockSize: 3,
        name: 'tx-rollback', // its own counter, apart from the fixture's keyring
      });
      const m = new SecretsManager({ store, keyring });
      let encrypted = 0;
      for (let i = 0; i < 20; i++) {
        await expect(
          store.transaction(async (tx) => {
            await m.set(scopeA, { key: `k${i}`, value: `v${i}` }, { tx });
            await m.set(scopeA, { key: `other${i}`, value: `w${i}` }, { tx });
            encrypted += 2;
            throw new Error('rollback');
          }),
        ).rejects.toThrow('rollback');
      }
      expect(await m.list(scopeA)).toEqual([]);
      // Every encryption performed is counted in the store ("a crash can only over-count").
      expect((await keyring.status()).versions[0]!.encryptions).toBeGreaterThanOrEqual(encrypted);
    }));

  it('a wrong master key cannot read anything (CryptoError at open, never wrong plaintext)', () =>
    withSecrets(async ({ store }) => {
      const { Keyring } = await import('@ax/crypto');
      await expect(
        Keyring.open({ store: store.keyring, masterKey: `hex:${'0123456789abcdef'.repeat(4)}`, env: {} }),
      ).rejects.toBeInstanceOf(CryptoError);
    }));
});
