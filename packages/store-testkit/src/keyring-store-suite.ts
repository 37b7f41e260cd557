import assert from 'node:assert/strict';
import type { KeyringRecord } from '@ax/core';
import { withFixture } from './fixtures.js';
import type { PortsOf, StoreFactory, TestApi, TransactionalPorts } from './types.js';

/** Raw reads of keyring storage, bypassing the adapter's port code. */
export interface KeyringProbe {
  /** The keyring's stored pointers and salt, or null. */
  keyringRow(name: string): Promise<{
    hkdfSalt: Uint8Array;
    primaryVersion: number;
    minDecryptionVersion: number;
    minEncryptionVersion: number;
  } | null>;
  /** Stored versions, ascending. */
  keyVersionRows(name: string): Promise<{ version: number; status: string; reservedEncryptions: number }[]>;
}

/** A keyring record with one active version and distinctive bytes. */
export function makeKeyring(over: Partial<KeyringRecord> = {}): KeyringRecord {
  return {
    name: 'default',
    hkdfSalt: new Uint8Array(32).map((_, i) => i + 1),
    kdf: { kind: 'raw' },
    verifier: new Uint8Array(32).fill(7),
    primaryVersion: 1,
    minDecryptionVersion: 1,
    minEncryptionVersion: 1,
    createdAt: 1_767_225_600_000,
    updatedAt: 1_767_225_600_000,
    versions: [{ version: 1, status: 'active', createdAt: 1_767_225_600_000, reservedEncryptions: 0 }],
    ...over,
  };
}

/** Conformance suite for the KeyringStore port alone (any `{ keyring }`, no transactions needed). */
export function keyringStoreSuite(t: TestApi, make: StoreFactory<KeyringProbe, PortsOf<'keyring'>>): void {
  t.describe('KeyringStore conformance', () => {
    t.it('creates once, loads what it stored, and a second create returns false and changes nothing', () =>
      withFixture(make, async ({ store, probe }) => {
        const ring = makeKeyring({
          kdf: { kind: 'scrypt', salt: new Uint8Array(32).fill(9), N: 2 ** 15, r: 8, p: 1 },
        });
        assert.equal(await store.keyring.load('default'), null);
        assert.equal(await store.keyring.create(ring), true);
        assert.deepEqual(await store.keyring.load('default'), ring);
        assert.equal(await store.keyring.create(makeKeyring({ hkdfSalt: new Uint8Array(32) })), false);
        const row = await probe.keyringRow('default');
        assert.deepEqual(Buffer.from(row!.hkdfSalt), Buffer.from(ring.hkdfSalt));
        assert.deepEqual(await probe.keyVersionRows('default'), [
          { version: 1, status: 'active', reservedEncryptions: 0 },
        ]);
        assert.equal(await store.keyring.load('other'), null);
      }),
    );

    t.it('adds a version as primary, and refuses a version number that exists', () =>
      withFixture(make, async ({ store, probe }) => {
        await store.keyring.create(makeKeyring());
        const v2 = { version: 2, status: 'active' as const, createdAt: 5, reservedEncryptions: 0 };
        assert.equal(await store.keyring.addVersion('default', v2, 6), true);
        assert.equal(await store.keyring.addVersion('default', { ...v2, createdAt: 7 }, 8), false);
        assert.equal(await store.keyring.addVersion('missing', v2, 8), false);
        const loaded = await store.keyring.load('default');
        assert.equal(loaded?.primaryVersion, 2);
        assert.equal(loaded?.updatedAt, 6);
        assert.deepEqual(
          loaded?.versions.map((v) => [v.version, v.createdAt]),
          [
            [1, 1_767_225_600_000],
            [2, 5],
          ],
        );
        assert.equal((await probe.keyringRow('default'))?.primaryVersion, 2);
      }),
    );

    t.it('sets policy pointers and archives below the floor, reversibly', () =>
      withFixture(make, async ({ store, probe }) => {
        await store.keyring.create(makeKeyring());
        for (const version of [2, 3]) {
          await store.keyring.addVersion(
            'default',
            { version, status: 'active', createdAt: 1, reservedEncryptions: 0 },
            1,
          );
        }
        const policy = {
          primaryVersion: 3,
          minDecryptionVersion: 3,
          minEncryptionVersion: 3,
          updatedAt: 9,
          archiveBelow: 3,
        };
        assert.equal(await store.keyring.setPolicy('default', policy), true);
        assert.deepEqual(
          (await probe.keyVersionRows('default')).map((v) => v.status),
          ['archived', 'archived', 'active'],
        );
        const row = await probe.keyringRow('default');
        assert.equal(row?.minDecryptionVersion, 3);
        assert.equal(row?.minEncryptionVersion, 3);
        await store.keyring.setPolicy('default', { ...policy, minDecryptionVersion: 1, archiveBelow: 1 });
        assert.deepEqual(
          (await probe.keyVersionRows('default')).map((v) => v.status),
          ['active', 'active', 'active'],
        );
        assert.equal(await store.keyring.setPolicy('missing', policy), false);
      }),
    );

    t.it('reserves contiguous blocks, caps the last at the limit, then refuses', () =>
      withFixture(make, async ({ store, probe }) => {
        await store.keyring.create(makeKeyring());
        await store.keyring.create(makeKeyring({ name: 'other' }));
        assert.deepEqual(await store.keyring.reserveEncryptions('default', 1, 40, 100), { from: 0, to: 40 });
        assert.deepEqual(await store.keyring.reserveEncryptions('default', 1, 40, 100), { from: 40, to: 80 });
        assert.deepEqual(await store.keyring.reserveEncryptions('default', 1, 40, 100), {
          from: 80,
          to: 100,
        });
        assert.equal(await store.keyring.reserveEncryptions('default', 1, 40, 100), null);
        assert.equal(await store.keyring.reserveEncryptions('default', 2, 40, 100), null);
        assert.equal(await store.keyring.reserveEncryptions('missing', 1, 40, 100), null);
        assert.equal((await probe.keyVersionRows('default'))[0]?.reservedEncryptions, 100);
        // Another keyring's counter is its own.
        assert.deepEqual(await store.keyring.reserveEncryptions('other', 1, 10, 100), { from: 0, to: 10 });
        assert.equal((await store.keyring.load('default'))?.versions[0]?.reservedEncryptions, 100);
      }),
    );

    t.it('never grants overlapping blocks to 40 concurrent reservers', () =>
      withFixture(make, async ({ store, probe }) => {
        await store.keyring.create(makeKeyring());
        const calls = Array.from({ length: 40 }, () =>
          store.keyring.reserveEncryptions('default', 1, 7, 250),
        );
        const blocks = (await Promise.all(calls)).filter((b) => b !== null).sort((a, b) => a.from - b.from);
        let expected = 0;
        for (const b of blocks) {
          assert.equal(b.from, expected, 'blocks are disjoint and contiguous');
          assert.ok(b.to > b.from && b.to - b.from <= 7);
          expected = b.to;
        }
        assert.equal(expected, 250);
        assert.equal((await probe.keyVersionRows('default'))[0]?.reservedEncryptions, 250);
      }),
    );
  });
}

/**
 * Conformance suite for the KeyringStore port inside transactions (run by `coreStoreSuites`; a store without
 * transactions, such as @ax/crypto's MemoryKeyringStore, runs only {@link keyringStoreSuite}).
 */
export function keyringTransactionSuite(
  t: TestApi,
  make: StoreFactory<KeyringProbe, TransactionalPorts<'keyring'>>,
): void {
  t.describe('KeyringStore in transactions conformance', () => {
    t.it('never grants overlapping blocks to concurrent reservers, inside or outside transactions', () =>
      withFixture(make, async ({ store, probe }) => {
        await store.keyring.create(makeKeyring());
        const calls = Array.from({ length: 40 }, (_, i) =>
          i % 4 === 0
            ? store.transaction((tx) => tx.keyring.reserveEncryptions('default', 1, 7, 250))
            : store.keyring.reserveEncryptions('default', 1, 7, 250),
        );
        const blocks = (await Promise.all(calls)).filter((b) => b !== null).sort((a, b) => a.from - b.from);
        let expected = 0;
        for (const b of blocks) {
          assert.equal(b.from, expected, 'blocks are disjoint and contiguous');
          assert.ok(b.to > b.from && b.to - b.from <= 7);
          expected = b.to;
        }
        assert.equal(expected, 250);
        assert.equal((await probe.keyVersionRows('default'))[0]?.reservedEncryptions, 250);
      }),
    );

    t.it("accepts a reservation through the store's own port while a transaction is open (no deadlock)", () =>
      withFixture(make, async ({ store }) => {
        await store.keyring.create(makeKeyring());
        // A keyring reserving its next block while its caller writes inside a transaction does exactly this.
        const block = await store.transaction(async () =>
          Promise.race([
            store.keyring.reserveEncryptions('default', 1, 10, 100),
            new Promise<never>((_, reject) => setTimeout(() => reject(new Error('deadlocked')), 3000)),
          ]),
        );
        assert.deepEqual(block, { from: 0, to: 10 });
        assert.deepEqual(await store.keyring.reserveEncryptions('default', 1, 10, 100), { from: 10, to: 20 });
      }),
    );

    t.it(
      "a reservation through the store's own port survives the rollback of a transaction open at the time",
      () =>
        withFixture(make, async ({ store, probe }) => {
          await store.keyring.create(makeKeyring());
          // The keyring encrypts with a block as soon as it is granted: if the rollback of the caller's
          // transaction took the reservation with it, the stored count would under-count what was used.
          let granted: unknown = null;
          await assert.rejects(
            store.transaction(async () => {
              granted = await store.keyring.reserveEncryptions('default', 1, 10, 100);
              throw new Error('boom');
            }),
            /boom/,
          );
          assert.deepEqual(granted, { from: 0, to: 10 });
          assert.equal((await probe.keyVersionRows('default'))[0]?.reservedEncryptions, 10);
          assert.deepEqual(await store.keyring.reserveEncryptions('default', 1, 10, 100), {
            from: 10,
            to: 20,
          });
        }),
    );

    t.it('rolls back keyring writes made in a failed transaction', () =>
      withFixture(make, async ({ store, probe }) => {
        await store.keyring.create(makeKeyring());
        await assert.rejects(
          store.transaction(async (tx) => {
            await tx.keyring.reserveEncryptions('default', 1, 10, 100);
            await tx.keyring.addVersion(
              'default',
              { version: 2, status: 'active', createdAt: 1, reservedEncryptions: 0 },
              1,
            );
            throw new Error('boom');
          }),
          /boom/,
        );
        assert.deepEqual(await probe.keyVersionRows('default'), [
          { version: 1, status: 'active', reservedEncryptions: 0 },
        ]);
        assert.equal((await probe.keyringRow('default'))?.primaryVersion, 1);
      }),
    );
  });
}
