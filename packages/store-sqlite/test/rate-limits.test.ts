import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../src/index.js';
import { tempDir } from './probes.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('the rateLimits port', () => {
  it('keeps counters in the database: two stores on one file share a window', async () => {
    const t = tempDir();
    cleanups.push(t.remove);
    const file = join(t.dir, 'ax.db');
    const a = await openSqliteStore(file);
    cleanups.push(() => a.close());
    const b = await openSqliteStore(file);
    cleanups.push(() => b.close());
    const opts = { keyPrefix: 'test', points: 3, duration: 60 };
    const la = a.rateLimits.limiter(opts);
    const lb = b.rateLimits.limiter(opts);
    expect((await la.consume('k', 2)).remainingPoints).toBe(1);
    expect((await lb.consume('k')).remainingPoints).toBe(0);
    const refused = await la.consume('k').catch((r: unknown) => r);
    expect(refused).not.toBeInstanceOf(Error); // a refusal is a result, not a failure
    expect(refused).toMatchObject({ remainingPoints: 0 });
    const raw = new BetterSqlite3(file, { readonly: true });
    cleanups.push(() => {
      raw.close();
    });
    expect(raw.prepare("SELECT points FROM ax_rate_limits WHERE key = 'test:k'").get()).toEqual({
      points: 4,
    });
  });
});

describe('the rateLimits port and transactions', () => {
  it('keeps a charge made while a transaction awaits, when that transaction rolls back', async () => {
    const t = tempDir();
    cleanups.push(t.remove);
    const store = await openSqliteStore(join(t.dir, 'ax.db'));
    cleanups.push(() => store.close());
    const limiter = store.rateLimits.limiter({ keyPrefix: 'test', points: 10, duration: 60 });
    let opened!: () => void;
    const isOpen = new Promise<void>((r) => {
      opened = r;
    });
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const rolledBack = store.transaction(async () => {
      opened();
      await gate;
      throw new Error('roll back');
    });
    await isOpen;
    const charged = limiter.consume('k', 3);
    await Promise.race([charged, new Promise((r) => setTimeout(r, 20))]);
    release();
    await expect(rolledBack).rejects.toThrow('roll back');
    expect((await charged).consumedPoints).toBe(3);
    expect(await limiter.get('k')).toMatchObject({ consumedPoints: 3 });
    const raw = new BetterSqlite3(store.filename, { readonly: true });
    cleanups.push(() => {
      raw.close();
    });
    expect(raw.prepare("SELECT points FROM ax_rate_limits WHERE key = 'test:k'").get()).toEqual({
      points: 3,
    });
  });

  it('refuses a limiter call made inside the store’s own transaction, writing nothing', async () => {
    const t = tempDir();
    cleanups.push(t.remove);
    const store = await openSqliteStore(join(t.dir, 'ax.db'));
    cleanups.push(() => store.close());
    const limiter = store.rateLimits.limiter({ keyPrefix: 'test', points: 10, duration: 60 });
    await expect(store.transaction(() => limiter.consume('k', 3))).rejects.toThrow(
      /rate limiter used inside the store's own transaction/,
    );
    expect(await limiter.get('k')).toBeNull();
  });
});
