import { describe, expect, it } from 'vitest';
import {
  isRetryableConflict,
  retryableConflict,
  runTransaction,
  type TransactionDriver,
} from '../src/adapter/index.js';
import { ConflictError, onCommit } from '../src/index.js';

/** A fake adapter: each attempt gets a fresh tx; attempts listed in `conflictOn` fail with a retryable conflict at COMMIT. */
function fakeAdapter(conflictOn: number[]) {
  const log: string[] = [];
  let n = 0;
  const driver: TransactionDriver<{ attempt: number }> = {
    async attempt(body) {
      const tx = { attempt: ++n };
      log.push(`begin ${tx.attempt}`);
      try {
        const out = await body(tx);
        if (conflictOn.includes(tx.attempt)) throw retryableConflict('could not serialize access');
        log.push(`commit ${tx.attempt}`);
        return out;
      } catch (err) {
        log.push(`rollback ${tx.attempt}`);
        throw err;
      }
    },
  };
  return { driver, log };
}

const noWait = { random: () => 0 };

describe('runTransaction (the shared transaction runner of @ax/core/adapter)', () => {
  it('runs an after-commit callback once, after the commit, and not the retried attempt’s', async () => {
    const { driver, log } = fakeAdapter([1]);
    const result = await runTransaction(
      driver,
      async (tx) => {
        onCommit(tx, () => log.push(`hook of ${tx.attempt}`));
        return tx.attempt;
      },
      {},
      noWait,
    );
    expect(result).toBe(2);
    expect(log).toEqual(['begin 1', 'rollback 1', 'begin 2', 'commit 2', 'hook of 2']);
  });

  it('never runs an after-commit callback of a rolled-back attempt, and rethrows its error', async () => {
    const { driver, log } = fakeAdapter([]);
    const boom = new Error('boom');
    await expect(
      runTransaction(
        driver,
        async (tx) => {
          onCommit(tx, () => log.push('hook'));
          throw boom;
        },
        {},
        noWait,
      ),
    ).rejects.toBe(boom);
    expect(log).toEqual(['begin 1', 'rollback 1']);
  });

  it('re-runs up to `retries` times, then throws the retryable conflict', async () => {
    const { driver, log } = fakeAdapter([1, 2, 3, 4]);
    const err = await runTransaction(driver, async () => 'x', { retries: 2 }, noWait).catch((e) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect(isRetryableConflict(err)).toBe(true);
    expect(err.details).toEqual({ retryable: true });
    expect(log.filter((l) => l.startsWith('begin'))).toEqual(['begin 1', 'begin 2', 'begin 3']);
    const again = fakeAdapter([1, 2, 3, 4]);
    expect(await runTransaction(again.driver, async (tx) => tx.attempt, {}, noWait)).toBe(5); // default: 5 retries
    await expect(
      runTransaction(fakeAdapter([1]).driver, async () => 1, { retries: 0 }, noWait),
    ).rejects.toThrow('could not serialize');
  });

  it('does not retry a conflict that is not marked retryable (a unique violation)', async () => {
    let attempts = 0;
    const driver: TransactionDriver<object> = {
      attempt: async (body) => body({}),
    };
    await expect(
      runTransaction(
        driver,
        async () => {
          attempts++;
          throw new ConflictError('slug taken');
        },
        {},
        noWait,
      ),
    ).rejects.toThrow('slug taken');
    expect(attempts).toBe(1);
  });

  it('waits a jittered, growing, capped backoff between attempts', async () => {
    const draws: number[] = [];
    const { driver } = fakeAdapter([1, 2, 3]);
    await runTransaction(
      driver,
      async () => 1,
      {},
      {
        baseDelayMs: 1,
        maxDelayMs: 2,
        random: () => {
          draws.push(0);
          return 0.5;
        },
      },
    );
    expect(draws).toHaveLength(3);
    await expect(runTransaction(driver, async () => 1, { retries: -1 })).rejects.toBeInstanceOf(RangeError);
  });
});
