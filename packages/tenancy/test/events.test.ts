import { QuotaExceededError } from '@ax/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TypedEmitter } from '../src/index.js';
import { type Env, makeEnv } from './helpers.js';

describe('TypedEmitter', () => {
  it('does nothing and returns nothing without listeners; calls listeners in order; off removes', async () => {
    const e = new TypedEmitter<{ a: { n: number }; b: string }, { tx: undefined }>();
    expect(e.has('a')).toBe(false);
    expect(e.emit('a', { n: 1 }, { tx: undefined })).toBeUndefined();
    const seen: string[] = [];
    const off1 = e.on('a', (ev) => {
      seen.push(`1:${ev.n}`);
    });
    e.on('a', async (ev) => {
      await new Promise((r) => setTimeout(r, 5));
      seen.push(`2:${ev.n}`);
    });
    expect(e.has('a')).toBe(true);
    expect(e.has('b')).toBe(false);
    const p = e.emit('a', { n: 7 }, { tx: undefined });
    expect(p).toBeInstanceOf(Promise);
    await p;
    expect(seen).toEqual(['1:7', '2:7']);
    off1();
    e.emit('a', { n: 8 }, { tx: undefined });
    await new Promise((r) => setTimeout(r, 10));
    expect(seen).toEqual(['1:7', '2:7', '2:8']);
  });
});

describe('quota events', () => {
  let env: Env;
  beforeEach(async () => {
    env = await makeEnv();
  });
  afterEach(() => env.cleanup());

  it('announce denials and reclaimed leases', async () => {
    const { tenants, quotas, events } = env.tenancy;
    const t = await tenants.create({ name: 'Acme', slug: 'acme' });
    const seen: unknown[] = [];
    events.on('quota.exceeded', (e) => {
      seen.push(['exceeded', e.quota, e.used, e.limit, e.requested]);
    });
    events.on('lease.reclaimed', (e) => {
      seen.push(['reclaimed', e.quota, e.count]);
    });
    await quotas.consume(t.id, 'workflows', 5);
    await expect(quotas.consume(t.id, 'workflows', 2)).rejects.toBeInstanceOf(QuotaExceededError);
    await quotas.acquireSlot(t.id, { ttlMs: 100 });
    await quotas.acquireSlot(t.id, { ttlMs: 100 });
    await expect(quotas.acquireSlot(t.id, { ttlMs: 100 })).rejects.toBeInstanceOf(QuotaExceededError);
    env.clock.advance(100);
    await quotas.acquireSlot(t.id, { ttlMs: 100 });
    expect(seen).toEqual([
      ['exceeded', 'workflows', 5, 5, 2],
      ['exceeded', 'concurrentExecutions', 2, 2, 1],
      ['reclaimed', 'concurrentExecutions', 2],
    ]);
  });
});
