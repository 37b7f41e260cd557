import assert from 'node:assert/strict';
import { ConflictError } from '@ax/core';
import { makeUser, withFixture } from './fixtures.js';
import type { CoreProbe, PortsOf, StoreFactory, TestApi } from './types.js';

/** Conformance suite for the UserStore port. */
export function userStoreSuite(
  t: TestApi,
  make: StoreFactory<Pick<CoreProbe, 'userRow'>, PortsOf<'users'>>,
): void {
  t.describe('UserStore conformance', () => {
    t.it('inserts a user that storage holds as given; e-mail lookup ignores case', () =>
      withFixture(make, async ({ store, probe }) => {
        const user = makeUser({ email: 'Ada@Example.test' });
        await store.users.insert(user);
        assert.deepEqual(await probe.userRow(user.id), user);
        assert.deepEqual(await store.users.get(user.id), user);
        assert.deepEqual(await store.users.getByEmail('ada@example.TEST'), user);
        assert.equal(await store.users.get('usr_missing'), null);
      }),
    );

    t.it('rejects an e-mail that differs only in case with ConflictError', () =>
      withFixture(make, async ({ store }) => {
        await store.users.insert(makeUser({ email: 'bob@example.test' }));
        await assert.rejects(store.users.insert(makeUser({ email: 'BOB@example.test' })), ConflictError);
      }),
    );

    t.it('updates status, pages by id and purges', () =>
      withFixture(make, async ({ store, probe }) => {
        const users = Array.from({ length: 4 }, () => makeUser());
        for (const u of users) await store.users.insert(u);
        const suspended = await store.users.update(users[1]!.id, {
          status: 'suspended',
          updatedAt: 5,
        });
        assert.equal(suspended?.status, 'suspended');
        assert.equal((await probe.userRow(users[1]!.id))?.status, 'suspended');
        const page1 = await store.users.list({ limit: 2 });
        const page2 = await store.users.list({
          limit: 2,
          afterId: page1[1]!.id,
        });
        assert.deepEqual(
          [...page1, ...page2].map((u) => u.id),
          users.map((u) => u.id),
        );
        assert.equal(await store.users.purge(users[0]!.id), true);
        assert.equal(await probe.userRow(users[0]!.id), null);
      }),
    );
  });
}
