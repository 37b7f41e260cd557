import assert from 'node:assert/strict';
import type { SecretVersionRecord, StorePorts } from '@ax/core';
import { makeTenant, withFixture } from './fixtures.js';
import type { StoreFactory, TestApi, TransactionalPorts } from './types.js';

/** Raw reads of secret storage, bypassing the adapter's port code. */
export interface SecretProbe {
  /** Stored version rows of a secret, ascending, exactly as stored. */
  secretVersionRows(tenantId: string, key: string): Promise<SecretVersionRecord[]>;
  /** The stored current version of a secret, or null. */
  secretCurrentVersion(tenantId: string, key: string): Promise<number | null>;
}

/** A version record with a syntactically valid (not decryptable) ciphertext. */
export function makeSecretVersion(
  over: Partial<SecretVersionRecord> & { tenantId: string },
): SecretVersionRecord {
  const version = over.version ?? 1;
  return {
    key: 'stripe/api-key',
    version,
    ciphertext: `ax:v1:k1:opaque-${over.tenantId}-${over.key ?? 'stripe/api-key'}-${version}`,
    keyVersion: 1,
    createdAt: 1_767_225_600_000 + version,
    createdBy: 'user:usr_1',
    ...over,
  };
}

async function tenants(store: Pick<StorePorts, 'tenants'>, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const t = makeTenant();
    await store.tenants.insert(t);
    ids.push(t.id);
  }
  return ids;
}

async function writeVersions(
  store: Pick<StorePorts, 'secrets'>,
  tenantId: string,
  key: string,
  count: number,
  keep = 10,
) {
  for (let v = 1; v <= count; v++) {
    const ok = await store.secrets.write({
      expectedVersion: v - 1,
      version: makeSecretVersion({ tenantId, key, version: v }),
      keep,
    });
    assert.equal(ok, true);
  }
}

/** Conformance suite for the SecretStore port. */
export function secretStoreSuite(
  t: TestApi,
  make: StoreFactory<SecretProbe, TransactionalPorts<'tenants' | 'secrets'>>,
): void {
  t.describe('SecretStore conformance', () => {
    t.it('writes a first version that storage holds as given and reads back current and by version', () =>
      withFixture(make, async ({ store, probe }) => {
        const [a] = await tenants(store, 1);
        const v1 = makeSecretVersion({ tenantId: a! });
        assert.equal(await store.secrets.write({ expectedVersion: 0, version: v1, keep: 10 }), true);
        assert.deepEqual(await probe.secretVersionRows(a!, v1.key), [v1]);
        assert.equal(await probe.secretCurrentVersion(a!, v1.key), 1);
        assert.deepEqual(await store.secrets.getCurrent(a!, v1.key), v1);
        assert.deepEqual(await store.secrets.getVersion(a!, v1.key, 1), v1);
        assert.equal(await store.secrets.getVersion(a!, v1.key, 2), null);
        const head = await store.secrets.head(a!, v1.key);
        assert.deepEqual(head, {
          tenantId: a,
          key: v1.key,
          currentVersion: 1,
          createdAt: v1.createdAt,
          updatedAt: v1.createdAt,
          createdBy: v1.createdBy,
          updatedBy: v1.createdBy,
        });
      }),
    );

    t.it('check-and-set: a write against a stale version returns false and writes nothing', () =>
      withFixture(make, async ({ store, probe }) => {
        const [a] = await tenants(store, 1);
        await writeVersions(store, a!, 'k', 2);
        const stale = makeSecretVersion({ tenantId: a!, key: 'k', version: 2, ciphertext: 'ax:v1:k1:stale' });
        assert.equal(await store.secrets.write({ expectedVersion: 1, version: stale, keep: 10 }), false);
        assert.equal(
          await store.secrets.write({
            expectedVersion: 0,
            version: makeSecretVersion({ tenantId: a!, key: 'k' }),
            keep: 10,
          }),
          false,
        );
        const rows = await probe.secretVersionRows(a!, 'k');
        assert.deepEqual(
          rows.map((r) => r.version),
          [1, 2],
        );
        assert.notEqual(rows[1]?.ciphertext, 'ax:v1:k1:stale');
        await assert.rejects(
          store.secrets.write({
            expectedVersion: 2,
            version: makeSecretVersion({ tenantId: a!, key: 'k', version: 5 }),
            keep: 10,
          }),
        );
        assert.equal(await probe.secretCurrentVersion(a!, 'k'), 2);
      }),
    );

    t.it('keeps only the newest `keep` versions, and the head moves with each write', () =>
      withFixture(make, async ({ store, probe }) => {
        const [a] = await tenants(store, 1);
        await writeVersions(store, a!, 'k', 7, 3);
        assert.deepEqual(
          (await probe.secretVersionRows(a!, 'k')).map((r) => r.version),
          [5, 6, 7],
        );
        assert.deepEqual(
          (await store.secrets.versions(a!, 'k')).map((r) => [r.version, 'ciphertext' in r]),
          [
            [5, false],
            [6, false],
            [7, false],
          ],
        );
        assert.equal(await store.secrets.getVersion(a!, 'k', 4), null);
        assert.equal((await store.secrets.getCurrent(a!, 'k'))?.version, 7);
      }),
    );

    t.it("never shows, changes or removes another tenant's secret", () =>
      withFixture(make, async ({ store, probe }) => {
        const [a, b] = await tenants(store, 2);
        await writeVersions(store, a!, 'shared-name', 2);
        assert.equal(await store.secrets.getCurrent(b!, 'shared-name'), null);
        assert.equal(await store.secrets.getVersion(b!, 'shared-name', 1), null);
        assert.deepEqual(await store.secrets.getManyCurrent(b!, ['shared-name']), []);
        assert.equal(await store.secrets.head(b!, 'shared-name'), null);
        assert.deepEqual(await store.secrets.list(b!, { limit: 10 }), []);
        assert.deepEqual(await store.secrets.versions(b!, 'shared-name'), []);
        assert.equal(await store.secrets.delete(b!, 'shared-name'), false);
        // B may use the same key name independently; its versions start at 1.
        await writeVersions(store, b!, 'shared-name', 1);
        assert.equal(await probe.secretCurrentVersion(a!, 'shared-name'), 2);
        assert.equal(await probe.secretCurrentVersion(b!, 'shared-name'), 1);
        assert.equal((await store.secrets.getCurrent(a!, 'shared-name'))?.tenantId, a);
      }),
    );

    t.it('lists heads by key with a cursor, and prefixes match literally (no wildcards)', () =>
      withFixture(make, async ({ store }) => {
        const [a] = await tenants(store, 1);
        for (const key of ['db/password', 'db_x', 'dbaxpassword', 'db%', 'stripe/key', 'db/user']) {
          await writeVersions(store, a!, key, 1);
        }
        assert.deepEqual(
          (await store.secrets.list(a!, { prefix: 'db/', limit: 10 })).map((h) => h.key),
          ['db/password', 'db/user'],
        );
        assert.deepEqual(
          (await store.secrets.list(a!, { prefix: 'db_', limit: 10 })).map((h) => h.key),
          ['db_x'],
        );
        assert.deepEqual(
          (await store.secrets.list(a!, { prefix: 'db%', limit: 10 })).map((h) => h.key),
          ['db%'],
        );
        const first = await store.secrets.list(a!, { limit: 4 });
        const rest = await store.secrets.list(a!, { limit: 4, afterKey: first.at(-1)!.key });
        assert.deepEqual(
          [...first, ...rest].map((h) => h.key),
          ['db%', 'db/password', 'db/user', 'db_x', 'dbaxpassword', 'stripe/key'],
        );
        assert.deepEqual(
          (await store.secrets.getManyCurrent(a!, ['db_x', 'missing', 'db%'])).map((r) => r.key).sort(),
          ['db%', 'db_x'],
        );
      }),
    );

    t.it('deletes a secret with all its versions, optionally only at the expected version', () =>
      withFixture(make, async ({ store, probe }) => {
        const [a] = await tenants(store, 1);
        await writeVersions(store, a!, 'k', 3);
        assert.equal(await store.secrets.delete(a!, 'k', 2), false);
        assert.equal((await probe.secretVersionRows(a!, 'k')).length, 3);
        assert.equal(await store.secrets.delete(a!, 'k', 3), true);
        assert.deepEqual(await probe.secretVersionRows(a!, 'k'), []);
        assert.equal(await probe.secretCurrentVersion(a!, 'k'), null);
        assert.equal(await store.secrets.delete(a!, 'k'), false);
        // Recreated from scratch.
        await writeVersions(store, a!, 'k', 1);
        assert.equal(await probe.secretCurrentVersion(a!, 'k'), 1);
      }),
    );

    t.it('one of many concurrent first writers wins; the others get false', () =>
      withFixture(make, async ({ store, probe }) => {
        const [a] = await tenants(store, 1);
        const results = await Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            store.secrets.write({
              expectedVersion: 0,
              version: makeSecretVersion({ tenantId: a!, key: 'race', ciphertext: `ax:v1:k1:writer-${i}` }),
              keep: 10,
            }),
          ),
        );
        assert.equal(results.filter(Boolean).length, 1);
        const rows = await probe.secretVersionRows(a!, 'race');
        assert.equal(rows.length, 1);
        assert.equal(rows[0]?.ciphertext, `ax:v1:k1:writer-${results.indexOf(true)}`);
      }),
    );

    t.it(
      'lists stale rows for rewrap in a stable order and swaps only rows still holding the old ciphertext',
      () =>
        withFixture(make, async ({ store, probe }) => {
          const [a, b] = await tenants(store, 2);
          await writeVersions(store, a!, 'x', 2);
          await writeVersions(store, b!, 'y', 1);
          await store.secrets.write({
            expectedVersion: 1,
            version: makeSecretVersion({
              tenantId: b!,
              key: 'y',
              version: 2,
              keyVersion: 2,
              ciphertext: 'ax:v1:k2:new',
            }),
            keep: 10,
          });
          const page1 = await store.secrets.listForRewrap(2, null, 2);
          const page2 = await store.secrets.listForRewrap(2, page1.at(-1)!, 2);
          const all = [...page1, ...page2].map((r) => [r.tenantId, r.key, r.version]);
          const expected = [
            [a, 'x', 1],
            [a, 'x', 2],
            [b, 'y', 1],
          ].sort((p, q) => String(p[0]).localeCompare(String(q[0])));
          assert.deepEqual(all, expected);
          const target = page1[0]!;
          const applied = await store.secrets.swapCiphertexts([
            { ...target, from: target.ciphertext, to: 'ax:v1:k2:rewrapped', keyVersion: 2 },
            { ...page1[1]!, from: 'ax:v1:k1:not-what-is-stored', to: 'ax:v1:k2:lost', keyVersion: 2 },
          ]);
          assert.equal(applied, 1);
          const rows = await probe.secretVersionRows(target.tenantId, target.key);
          const swapped = rows.find((r) => r.version === target.version);
          assert.equal(swapped?.ciphertext, 'ax:v1:k2:rewrapped');
          assert.equal(swapped?.keyVersion, 2);
          assert.ok(!rows.some((r) => r.ciphertext === 'ax:v1:k2:lost'));
          assert.deepEqual(await store.secrets.countByKeyVersion(), [
            { keyVersion: 1, count: 2 },
            { keyVersion: 2, count: 2 },
          ]);
        }),
    );

    t.it('rolls back a write made in a failed transaction', () =>
      withFixture(make, async ({ store, probe }) => {
        const [a] = await tenants(store, 1);
        await assert.rejects(
          store.transaction(async (tx) => {
            await tx.secrets.write({
              expectedVersion: 0,
              version: makeSecretVersion({ tenantId: a!, key: 'tx' }),
              keep: 10,
            });
            throw new Error('boom');
          }),
          /boom/,
        );
        assert.deepEqual(await probe.secretVersionRows(a!, 'tx'), []);
        assert.equal(await probe.secretCurrentVersion(a!, 'tx'), null);
      }),
    );

    t.it("removes a tenant's secrets when the tenant is purged", () =>
      withFixture(make, async ({ store, probe }) => {
        const [a] = await tenants(store, 1);
        await writeVersions(store, a!, 'k', 2);
        assert.equal(await store.tenants.purge(a!), true);
        assert.deepEqual(await probe.secretVersionRows(a!, 'k'), []);
      }),
    );
  });
}
