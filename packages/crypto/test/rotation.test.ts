import { CryptoError, type KeyringStore } from '@ax/core';
import { describe, expect, it } from 'vitest';
import { aadOf, Keyring, MemoryKeyringStore } from '../src/index.js';
import { memoryKeyring, sqliteStore, TEST_MASTER_KEY, thrown } from './helpers.js';

const aad = aadOf('tenant', 'secrets', 'sec_1', 'value');

describe('rotation', () => {
  it('write v1, rotate, write v2, raise the minimum decryption version, lower it again', async () => {
    const kr = await memoryKeyring();
    const c1 = kr.encrypt('one', aad);
    expect(await kr.rotate()).toBe(2);
    expect(kr.primaryVersion).toBe(2);
    const c2 = kr.encrypt('two', aad);
    expect(kr.versionOf(c1)).toBe(1);
    expect(kr.versionOf(c2)).toBe(2);
    // both readable after rotation
    expect(kr.decryptString(c1, aad)).toBe('one');
    expect(kr.decryptString(c2, aad)).toBe('two');
    // rewrap moves v1 to v2 without exposing the plaintext
    const r1 = await kr.rewrap(c1, aad);
    expect(kr.versionOf(r1)).toBe(2);
    expect(await kr.rewrap(c2, aad)).toBe(c2);
    // raise the floor: v1 refused with a typed reason, v2 and the rewrapped one fine
    await kr.setMinDecryptionVersion(2);
    const err = thrown(() => kr.decrypt(c1, aad)) as CryptoError;
    expect(err).toBeInstanceOf(CryptoError);
    expect(err.details.reason).toBe('below-min');
    expect(kr.decryptString(r1, aad)).toBe('one');
    expect(kr.decryptString(c2, aad)).toBe('two');
    await expect(kr.rewrap(c1, aad)).rejects.toBeInstanceOf(CryptoError);
    const status = await kr.status();
    expect(status.versions.map((v) => [v.version, v.status, v.primary])).toEqual([
      [1, 'archived', false],
      [2, 'active', true],
    ]);
    // reversible: archived, never destroyed
    await kr.setMinDecryptionVersion(1);
    expect(kr.decryptString(c1, aad)).toBe('one');
    expect((await kr.status()).versions[0]?.status).toBe('active');
  });

  it('refuses a ciphertext from a version this keyring does not know, and refreshes to learn it', async () => {
    const store = new MemoryKeyringStore();
    const a = await Keyring.open({ store, masterKey: TEST_MASTER_KEY, env: {} });
    const b = await Keyring.open({ store, masterKey: TEST_MASTER_KEY, env: {} });
    await a.rotate();
    const c2 = a.encrypt('x', aad);
    const err = thrown(() => b.decrypt(c2, aad)) as CryptoError;
    expect(err.details.reason).toBe('too-new');
    expect((await b.decryptAsync(c2, aad)).toString()).toBe('x');
    expect(b.primaryVersion).toBe(2);
    const forged = c2.replace('ax:v1:k2:', 'ax:v1:k9:');
    await expect(b.decryptAsync(forged, aad)).rejects.toMatchObject({ details: { reason: 'too-new' } });
  });

  it('autoRefreshMs picks up a rotation made by another process', async () => {
    const store = new MemoryKeyringStore();
    const server = await Keyring.open({ store, masterKey: TEST_MASTER_KEY, env: {}, autoRefreshMs: 100 });
    const cli = await Keyring.open({ store, masterKey: TEST_MASTER_KEY, env: {} });
    try {
      await cli.rotate();
      expect(server.primaryVersion).toBe(1);
      await new Promise((r) => setTimeout(r, 400));
      expect(server.primaryVersion).toBe(2);
      expect(server.versionOf(await server.encryptAsync('x', aad))).toBe(2);
    } finally {
      server.close();
    }
  });

  it('keeps the version invariants: minDecryption <= minEncryption <= primary <= latest', async () => {
    const kr = await memoryKeyring();
    await kr.rotate();
    await kr.rotate();
    await expect(kr.setMinDecryptionVersion(4)).rejects.toBeInstanceOf(CryptoError);
    await kr.setMinEncryptionVersion(2);
    await expect(kr.setPrimaryVersion(1)).rejects.toBeInstanceOf(CryptoError);
    await kr.setPrimaryVersion(2); // roll back to an earlier active version
    expect(kr.encrypt('x', aad).startsWith('ax:v1:k2:')).toBe(true);
    // A floor above the primary would strand fresh ciphertexts: refused until the primary moves up.
    await expect(kr.setMinDecryptionVersion(3)).rejects.toBeInstanceOf(CryptoError);
    await kr.setPrimaryVersion(3);
    await kr.setMinDecryptionVersion(3); // raises minEncryption with it
    expect(kr.minEncryptionVersion).toBe(3);
    await expect(kr.setPrimaryVersion(2)).rejects.toBeInstanceOf(CryptoError);
  });

  it('two processes rotating at once on one SQLite file add distinct versions', async () => {
    const db = await sqliteStore();
    try {
      const a = await Keyring.open({ store: db.store.keyring, masterKey: TEST_MASTER_KEY, env: {} });
      const b = await Keyring.open({ store: db.store.keyring, masterKey: TEST_MASTER_KEY, env: {} });
      const versions = await Promise.all([a.rotate(), b.rotate(), a.rotate()]);
      expect(new Set(versions).size).toBe(3);
      expect((await a.status()).versions.map((v) => v.version)).toEqual([1, 2, 3, 4]);
    } finally {
      await db.cleanup();
    }
  });
});

describe('encryption budget', () => {
  it('refuses to encrypt past the per-version limit until rotated, and persists counts in blocks', async () => {
    const store = new MemoryKeyringStore();
    const kr = await Keyring.open({
      store,
      masterKey: TEST_MASTER_KEY,
      env: {},
      maxEncryptionsPerVersion: 10,
      reserveBlockSize: 4,
    });
    for (let i = 0; i < 10; i++) await kr.encryptAsync('x', aad);
    await expect(kr.encryptAsync('x', aad)).rejects.toMatchObject({ details: { reason: 'exhausted' } });
    expect(thrown(() => kr.encrypt('x', aad))).toBeInstanceOf(CryptoError);
    expect((await kr.status()).versions[0]?.encryptions).toBe(10);
    await kr.rotate();
    expect(kr.versionOf(await kr.encryptAsync('x', aad))).toBe(2);
  });

  it('a restart (crash) over-counts, never under-counts, and processes never share a block', async () => {
    const store = new MemoryKeyringStore();
    const opts = { store, masterKey: TEST_MASTER_KEY, env: {}, reserveBlockSize: 100 };
    const a = await Keyring.open(opts);
    a.encrypt('x', aad); // uses 1 of a reserved block of 100
    const b = await Keyring.open(opts); // "restart": a fresh process reserves a new block
    b.encrypt('x', aad);
    const count = (await b.status()).versions[0]!.encryptions;
    expect(count).toBeGreaterThanOrEqual(200);
    expect(count).toBeLessThanOrEqual(400); // each may have prefetched one more block
  });

  it('reserve() waits for a block when the synchronous budget is momentarily used up', async () => {
    const kr = await memoryKeyring({ reserveBlockSize: 2 });
    kr.encrypt('x', aad);
    kr.encrypt('x', aad);
    const err = thrown(() => {
      for (let i = 0; i < 5; i++) kr.encrypt('x', aad);
    }) as CryptoError;
    expect(err.details.reason).toBe('reservation-pending');
    await kr.reserve();
    expect(kr.decryptString(kr.encrypt('y', aad), aad)).toBe('y');
  });
});

describe('keyring identity', () => {
  it('refuses to carry on when its store now holds another keyring (recreated or restored elsewhere)', async () => {
    const first = new MemoryKeyringStore();
    const second = new MemoryKeyringStore();
    let current: MemoryKeyringStore = first;
    // One store whose contents are swapped underneath a running process.
    const store: KeyringStore = {
      load: (n) => current.load(n),
      create: (r) => current.create(r),
      addVersion: (n, v, at) => current.addVersion(n, v, at),
      setPolicy: (n, p) => current.setPolicy(n, p),
      reserveEncryptions: (n, v, c, l) => current.reserveEncryptions(n, v, c, l),
    };
    const running = await Keyring.open({ store, masterKey: TEST_MASTER_KEY, env: {} });
    const before = running.encrypt('x', aad);
    current = second;
    const fresh = await Keyring.open({ store, masterKey: TEST_MASTER_KEY, env: {} }); // new random salt
    await expect(running.refresh()).rejects.toMatchObject({ details: { reason: 'replaced' } });
    // Encrypting on would write data that no process opening this store can ever read again.
    expect(thrown(() => running.encrypt('y', aad))).toMatchObject({ details: { reason: 'replaced' } });
    await expect(running.encryptAsync('y', aad)).rejects.toBeInstanceOf(CryptoError);
    await expect(running.rotate()).rejects.toMatchObject({ details: { reason: 'replaced' } });
    // What it wrote before still decrypts where it was written; the new keyring is unaffected.
    expect(running.decryptString(before, aad)).toBe('x');
    expect(fresh.decryptString(fresh.encrypt('z', aad), aad)).toBe('z');
  });
});
