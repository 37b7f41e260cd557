import { AxError, RateLimitExceededError, ValidationError } from '@ax/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_RATE_LIMITS, RateLimitService } from '../src/index.js';
import { type Env, makeEnv, OPERATOR } from './helpers.js';

let env: Env;
let tenantId: string;
beforeEach(async () => {
  env = await makeEnv();
  tenantId = (await env.tenancy.tenants.create(OPERATOR, { name: 'Acme', slug: 'acme' })).id;
});
afterEach(() => env.cleanup());

describe('RateLimitService', () => {
  it('defaults to 100 a minute per user and 500 a minute per tenant', async () => {
    expect(DEFAULT_RATE_LIMITS).toEqual({
      user: { points: 100, durationSec: 60 },
      tenant: { points: 500, durationSec: 60 },
    });
    const limits = new RateLimitService({
      store: env.store.rateLimits,
    });
    for (let i = 0; i < 100; i++) await limits.check({ tenantId, userId: 'usr_a' });
    const err = await limits.check({ tenantId, userId: 'usr_a' }).catch((e) => e);
    expect(err).toBeInstanceOf(RateLimitExceededError);
    expect(err.details.scopes).toEqual(['user']);
    // 100 charged to the tenant so far: the request its user was refused is not; other users fill it to 500
    for (let i = 100; i < 500; i++) await limits.check({ tenantId, userId: `usr_${i % 4}` });
    const full = await limits.check({ tenantId, userId: 'usr_new' }).catch((e) => e);
    expect(full).toBeInstanceOf(RateLimitExceededError);
    expect(full.details.scopes).toEqual(['tenant']);
  });

  it('charges both limits and reports the longer retry-after when both are spent', async () => {
    const limits = new RateLimitService({
      store: env.store.rateLimits,
      user: { points: 2, durationSec: 30 },
      tenant: { points: 3, durationSec: 60 },
    });
    const first = await limits.check({ tenantId, userId: 'usr_a' });
    expect(first).toMatchObject({ tenantRemaining: 2, userRemaining: 1 });
    await limits.check({ tenantId, userId: 'usr_a' });
    await limits.check({ tenantId });
    const err = await limits.check({ tenantId, userId: 'usr_a' }).catch((e) => e);
    expect(err).toBeInstanceOf(RateLimitExceededError);
    // the user is refused, so the tenant is only read: its window is full too, so its wait counts
    expect(err.details.scopes).toEqual(['tenant', 'user']);
    expect(err.retryAfterMs).toBeGreaterThan(30_000);
    expect(err.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(err.toJSON().details.retryAfterMs).toBe(err.retryAfterMs);
    // counters live in the store's database, one row per key
    const rows = env.raw.prepare('SELECT key, points FROM ax_rate_limits ORDER BY key').all();
    expect(rows).toEqual([
      { key: `ax:tenant:${tenantId}`, points: 3 },
      { key: 'ax:user:usr_a', points: 3 },
    ]);
  });

  it('a refused user is not charged to the tenant, and a refused tenant gives the user its point back', async () => {
    const limits = new RateLimitService({
      store: env.store.rateLimits,
      user: { points: 2, durationSec: 60 },
      tenant: { points: 5, durationSec: 60 },
    });
    const points = () =>
      Object.fromEntries(
        (
          env.raw.prepare('SELECT key, points FROM ax_rate_limits').all() as { key: string; points: number }[]
        ).map((r) => [r.key, r.points]),
      );
    await limits.check({ tenantId, userId: 'usr_noisy' });
    await limits.check({ tenantId, userId: 'usr_noisy' });
    // one noisy user hammering past their own limit must not spend the whole tenant's budget
    for (let i = 0; i < 20; i++) {
      const err = await limits.check({ tenantId, userId: 'usr_noisy' }).catch((e) => e);
      expect(err).toBeInstanceOf(RateLimitExceededError);
      expect(err.details.scopes).toEqual(['user']);
    }
    expect(points()[`ax:tenant:${tenantId}`]).toBe(2);
    const quiet = await limits.check({ tenantId, userId: 'usr_quiet' });
    expect(quiet).toMatchObject({ tenantRemaining: 2, userRemaining: 1 });
    await limits.check({ tenantId });
    await limits.check({ tenantId });
    // the tenant is full: the quiet user is refused by the tenant and keeps the point it was charged
    const full = await limits.check({ tenantId, userId: 'usr_quiet' }).catch((e) => e);
    expect(full).toBeInstanceOf(RateLimitExceededError);
    expect(full.details.scopes).toEqual(['tenant']);
    expect(points()['ax:user:usr_quiet']).toBe(1);
  });

  it('a user limited in one tenant is limited everywhere; another user is not', async () => {
    const other = (await env.tenancy.tenants.create(OPERATOR, { name: 'Other', slug: 'other' })).id;
    const limits = new RateLimitService({ user: { points: 1, durationSec: 60 } });
    await limits.check({ tenantId, userId: 'usr_a' });
    await expect(limits.check({ tenantId: other, userId: 'usr_a' })).rejects.toBeInstanceOf(
      RateLimitExceededError,
    );
    await limits.check({ tenantId: other, userId: 'usr_b' });
  });

  it('a cost no window can ever hold is a ValidationError, not a retry-after that would never come', async () => {
    const limits = new RateLimitService({
      user: { points: 5, durationSec: 60 },
      tenant: { points: 10, durationSec: 60 },
    });
    await expect(limits.check({ tenantId, cost: 11 })).rejects.toBeInstanceOf(ValidationError);
    await expect(limits.check({ tenantId, userId: 'usr_a', cost: 6 })).rejects.toBeInstanceOf(
      ValidationError,
    );
    expect(await limits.check({ tenantId, cost: 10 })).toMatchObject({ tenantRemaining: 0 });
    expect(await limits.limiters.user.get('usr_a')).toBeNull(); // the refused call charged nobody
  });

  it('rejects bad input and bad rules with ValidationError', async () => {
    const limits = new RateLimitService();
    await expect(limits.check({ tenantId: 'nope' })).rejects.toBeInstanceOf(ValidationError);
    await expect(limits.check({ tenantId, cost: 0 })).rejects.toBeInstanceOf(ValidationError);
    await expect(limits.check({ tenantId, cost: 1.5 })).rejects.toBeInstanceOf(ValidationError);
    expect(() => new RateLimitService({ user: { points: 0, durationSec: 60 } })).toThrow(ValidationError);
  });

  it('a failing store is an INTERNAL error, not a rate limit', async () => {
    const limits = new RateLimitService({
      store: env.store.rateLimits,
    });
    await env.store.close();
    const err = await limits.check({ tenantId }).catch((e) => e);
    expect(err).toBeInstanceOf(AxError);
    expect(err.code).toBe('INTERNAL');
  });
});
