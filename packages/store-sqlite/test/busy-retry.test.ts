import { join } from 'node:path';
import { isRetryableConflict } from '@ax/core/adapter';
import { makeTenant } from '@ax/store-testkit';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../src/index.js';
import { tempDir } from './probes.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('a write lock held by another process', () => {
  it('is a retryable ConflictError once busy_timeout runs out, and transaction re-runs until it is free', async () => {
    const t = tempDir();
    cleanups.push(t.remove);
    const file = join(t.dir, 'ax.db');
    const store = await openSqliteStore(file, { busyTimeoutMs: 20 });
    cleanups.push(() => store.close());
    const other = new BetterSqlite3(file);
    cleanups.push(() => {
      other.close();
    });
    other.exec('BEGIN IMMEDIATE');
    let runs = 0;
    const err = await store
      .transaction(
        async (tx) => {
          runs++;
          await tx.tenants.insert(makeTenant());
        },
        { retries: 0 },
      )
      .catch((e: unknown) => e);
    expect(isRetryableConflict(err)).toBe(true);
    expect(runs).toBe(0); // BEGIN IMMEDIATE itself was refused: fn never ran
    const tenant = makeTenant();
    const done = store.transaction((tx) => tx.tenants.insert(tenant), { retries: 1_000 });
    setTimeout(() => other.exec('COMMIT'), 150);
    await done;
    expect(await store.tenants.get(tenant.id)).toEqual(tenant);
  });
});
