import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Store } from '@ax/core';
import { makeTenant, withFixture } from './fixtures.js';
import type { StoreFactory, TestApi, TransactionalPorts } from './types.js';

class Planned extends Error {}

/**
 * Conformance suite for `Store.rateLimits`: a limiter's charge is its own atomic step, never part of a
 * transaction that happens to be open on the store at the same time (`Store.rateLimits`' contract).
 */
export function rateLimitStoreSuite(
  t: TestApi,
  make: StoreFactory<unknown, TransactionalPorts<'tenants'> & Pick<Store, 'rateLimits'>>,
): void {
  t.describe('Store.rateLimits conformance', () => {
    t.it('keeps a charge made while another transaction is open, when that transaction rolls back', () =>
      withFixture(make, async ({ store }) => {
        const options = { keyPrefix: 'suite', points: 10, duration: 60 };
        let opened!: () => void;
        const isOpen = new Promise<void>((r) => {
          opened = r;
        });
        let release!: () => void;
        const gate = new Promise<void>((r) => {
          release = r;
        });
        const planned = new Planned('roll back');
        const rolledBack = store
          .transaction(async (tx) => {
            await tx.tenants.insert(makeTenant());
            opened();
            await gate;
            throw planned;
          })
          .then(
            () => assert.fail('the transaction should have rolled back'),
            (err: unknown) => assert.equal(err, planned),
          );
        await isOpen;
        const charged = store.rateLimits.limiter(options).consume('k', 3);
        // Give the charge its chance to run while the transaction is open (an adapter may also make it wait).
        await Promise.race([charged, sleep(20)]);
        release();
        await rolledBack;
        assert.equal((await charged).consumedPoints, 3);
        const window = await store.rateLimits.limiter(options).get('k');
        assert.equal(window?.consumedPoints, 3, 'the charge rolled back with the other transaction');
      }),
    );
  });
}
