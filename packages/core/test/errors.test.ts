import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  AxError,
  ConflictError,
  CryptoError,
  ForbiddenError,
  IntegrityError,
  isAxError,
  NotFoundError,
  parseInput,
  QuotaExceededError,
  RateLimitExceededError,
  TenantSuspendedError,
  toAxError,
  UnauthorizedError,
  ValidationError,
} from '../src/index.js';

describe('error hierarchy', () => {
  it('gives every error a stable code and HTTP status', () => {
    const cases: [AxError, string, number][] = [
      [new ValidationError('bad'), 'VALIDATION', 400],
      [new NotFoundError('nope'), 'NOT_FOUND', 404],
      [new ConflictError('dup'), 'CONFLICT', 409],
      [new UnauthorizedError(), 'UNAUTHORIZED', 401],
      [new ForbiddenError('no'), 'FORBIDDEN', 403],
      [
        new QuotaExceededError({
          quota: 'workflows',
          limit: 5,
          used: 5,
          requested: 1,
        }),
        'QUOTA_EXCEEDED',
        429,
      ],
      [new RateLimitExceededError(1200), 'RATE_LIMITED', 429],
      [new TenantSuspendedError('tnt_x', 'unpaid'), 'TENANT_SUSPENDED', 403],
      [new IntegrityError('edited'), 'INTEGRITY', 500],
      [new CryptoError('bad tag'), 'CRYPTO', 400],
    ];
    for (const [err, code, status] of cases) {
      expect(err).toBeInstanceOf(AxError);
      expect(err).toBeInstanceOf(Error);
      expect(err.code).toBe(code);
      expect(err.status).toBe(status);
      expect(isAxError(err, err.code)).toBe(true);
      expect(err.toJSON().code).toBe(code);
    }
  });

  it('keeps the subclass name and cause', () => {
    const cause = new Error('disk');
    const err = new IntegrityError('broken', { cause });
    expect(err.name).toBe('IntegrityError');
    expect(err.cause).toBe(cause);
    expect(JSON.stringify(err)).not.toContain('disk');
  });

  it('carries retryAfterMs and quota figures', () => {
    const rl = new RateLimitExceededError(750);
    expect(rl.retryAfterMs).toBe(750);
    expect(rl.details.retryAfterMs).toBe(750);
    const q = new QuotaExceededError({
      quota: 'executions',
      limit: 100,
      used: 99,
      requested: 2,
    });
    expect(q.details).toMatchObject({
      quota: 'executions',
      limit: 100,
      used: 99,
      requested: 2,
    });
    const t = new TenantSuspendedError('tnt_1', 'payment overdue');
    expect(t.details.reason).toBe('payment overdue');
  });

  it('never serialises secret material put in details, at any depth', () => {
    const marker = 'S3CR3T-MARKER-81723';
    const err = new ConflictError('conflict', {
      details: {
        password: marker,
        nested: { apiKey: marker, token: marker, list: [{ secret: marker }] },
        Authorization: marker,
        cookie: marker,
        value: marker,
        safe: 'visible',
      },
      cause: new Error(marker),
    });
    const json = JSON.stringify(err);
    expect(json).not.toContain(marker);
    expect(json).toContain('visible');
    expect(json).not.toContain('stack');
  });

  it('wraps unknown throwables as INTERNAL', () => {
    expect(toAxError(new Error('x')).code).toBe('INTERNAL');
    const own = new NotFoundError('x');
    expect(toAxError(own)).toBe(own);
  });
});

describe('parseInput', () => {
  const schema = z.object({
    tenant: z.object({ slug: z.string().min(3) }),
    amount: z.number().int(),
  });

  it('returns parsed data', () => {
    expect(parseInput(schema, { tenant: { slug: 'abc' }, amount: 1 })).toEqual({
      tenant: { slug: 'abc' },
      amount: 1,
    });
  });

  it('throws ValidationError with zod field paths', () => {
    try {
      parseInput(schema, { tenant: { slug: 'a' }, amount: 1.5 }, 'quota.consume');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      const v = err as ValidationError;
      expect(v.code).toBe('VALIDATION');
      expect(v.issues.map((i) => i.path)).toEqual([['tenant', 'slug'], ['amount']]);
      expect(v.message).toMatch(/quota\.consume at tenant\.slug/);
      expect(v.toJSON().details.issues).toHaveLength(2);
    }
  });
});
