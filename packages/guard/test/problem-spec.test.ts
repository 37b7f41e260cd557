import {
  ForbiddenError,
  QuotaExceededError,
  RateLimitExceededError,
  TenantSuspendedError,
  ValidationError,
} from '@ax/core';
import { describe, expect, it } from 'vitest';
import { guardAuditActions, guardSpecSchema, problemOf } from '../src/index.js';

describe('problemOf', () => {
  it('answers 429 with Retry-After in whole seconds for RATE_LIMITED and QUOTA_EXCEEDED', () => {
    const rl = problemOf(new RateLimitExceededError(1_200));
    expect(rl.status).toBe(429);
    expect(rl.headers).toEqual({ 'content-type': 'application/problem+json', 'retry-after': '2' });
    expect(rl.body).toMatchObject({ code: 'RATE_LIMITED', status: 429, details: { retryAfterMs: 1_200 } });
    const q = problemOf(
      new QuotaExceededError({ quota: 'concurrentExecutions', limit: 2, used: 2, requested: 1 }),
    );
    expect(q.status).toBe(429);
    expect(q.headers['retry-after']).toBe('60');
    expect(q.body.code).toBe('QUOTA_EXCEEDED');
  });

  it('answers 403 for FORBIDDEN and TENANT_SUSPENDED, with the code and the reason', () => {
    expect(problemOf(new ForbiddenError('not allowed: workflow.execute')).status).toBe(403);
    const t = problemOf(new TenantSuspendedError('tnt_1', 'unpaid invoice'));
    expect(t.status).toBe(403);
    expect(t.body).toMatchObject({ code: 'TENANT_SUSPENDED', details: { reason: 'unpaid invoice' } });
    expect(t.headers['retry-after']).toBeUndefined();
  });

  it('hides what a non-AxError says and redacts secret-looking details', () => {
    const p = problemOf(new Error('connection string postgres://u:hunter2@db'));
    expect(p.status).toBe(500);
    expect(JSON.stringify(p.body)).not.toContain('hunter2');
    const v = problemOf(new ValidationError('bad', [], { details: { password: 'hunter2' } }));
    expect(JSON.stringify(v.body)).not.toContain('hunter2');
  });
});

describe('guardSpecSchema', () => {
  it('applies defaults and refuses unknown keys, a quota twice and a bad permission', () => {
    expect(guardSpecSchema.parse({ permission: 'workflow.execute' })).toEqual({
      permission: 'workflow.execute',
      quotas: [],
      refundOnFailure: false,
      requireActiveTenant: true,
    });
    expect(guardSpecSchema.safeParse({ permission: 'workflow.execute', quota: [] }).success).toBe(false);
    const twice = [
      { quota: 'executionsThisMonth', amount: 1 },
      { quota: 'executionsThisMonth', amount: 2 },
    ];
    expect(guardSpecSchema.safeParse({ permission: 'workflow.execute', quotas: twice }).success).toBe(false);
    expect(guardSpecSchema.safeParse({ permission: 'Workflow' }).success).toBe(false);
    expect(
      guardSpecSchema.safeParse({ permission: 'workflow.execute', concurrency: { ttlMs: 1 } }).success,
    ).toBe(false);
  });

  it('lists the four audit actions of each guarded action', () => {
    expect(guardAuditActions(['workflow.execute'])).toEqual([
      'workflow.execute.started',
      'workflow.execute.completed',
      'workflow.execute.failed',
      'workflow.execute.denied',
    ]);
  });
});
