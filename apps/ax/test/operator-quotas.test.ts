import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliSession } from './helpers.js';

const session = cliSession();
const { run, json } = session;
const used = (quota: string) =>
  json(['tenant', 'quota', 'default']).quotas.find((q: { quota: string }) => q.quota === quota);

beforeAll(() => {
  expect(run(['init']).code).toBe(0);
  json(['security', 'user', 'create', 'boss@example.test', '--tenant', 'default', '--role', 'admin']);
  json(['security', 'user', 'create', 'view@example.test', '--tenant', 'default']);
});
afterAll(() => session.remove());

describe('ax tenant quota <t> consume', () => {
  it('consumes, once per idempotency key, up to the hard limit', () => {
    const first = json([
      'tenant',
      'quota',
      'default',
      'consume',
      'workflows',
      '3',
      '--idempotency-key',
      'k1',
    ]);
    expect(first).toMatchObject({ quota: 'workflows', amount: 3, used: 3, limit: 5, replayed: false });
    const again = json([
      'tenant',
      'quota',
      'default',
      'consume',
      'workflows',
      '3',
      '--idempotency-key',
      'k1',
    ]);
    expect(again).toMatchObject({ used: 3, replayed: true });
    const over = run(['tenant', 'quota', 'default', 'consume', 'workflows', '3']);
    expect(over.code).toBe(1);
    expect(over.stderr).toMatch(/^error \[QUOTA_EXCEEDED\]/);
    expect(used('workflows').used).toBe(3);
  });

  it('needs quota.write in the tenant (its admin, not a viewer)', () => {
    const r = run([
      '--as',
      'view@example.test',
      'tenant',
      'quota',
      'default',
      'consume',
      'apiCallsThisMonth',
      '1',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error \[FORBIDDEN\]/);
    const ok = run([
      '--as',
      'boss@example.test',
      'tenant',
      'quota',
      'default',
      'consume',
      'apiCallsThisMonth',
      '1',
    ]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/consumed 1 of apiCallsThisMonth: used 1 of 1000/);
  });

  it('refuses bad usage with exit 2', () => {
    for (const args of [
      ['consume', 'workflows', 'lots'],
      ['consume', 'workflows'],
      ['consume', 'nope', '1'],
      ['override', 'workflows', 'many'],
      ['reset', 'workflows'],
    ]) {
      const r = run(['tenant', 'quota', 'default', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^error \[VALIDATION\]/);
    }
  });
});

describe('ax tenant quota <t> override', () => {
  it('raises a limit, makes it unlimited, and goes back to the plan’s', () => {
    expect(json(['tenant', 'quota', 'default', 'override', 'executionsThisMonth', '500'])).toMatchObject({
      quota: 'executionsThisMonth',
      limit: 500,
      overridden: true,
    });
    expect(run(['tenant', 'quota', 'default']).stdout).toMatch(
      /executionsThisMonth\s+periodic\s+500 \(override\)/,
    );
    expect(json(['tenant', 'quota', 'default', 'override', 'executionsThisMonth', 'unlimited']).limit).toBe(
      -1,
    );
    expect(json(['tenant', 'quota', 'default', 'override', 'executionsThisMonth', 'plan'])).toMatchObject({
      limit: 100,
      overridden: false,
    });
  });

  it('is installation-wide: a tenant admin cannot raise its own limits', () => {
    const r = run([
      '--as',
      'boss@example.test',
      'tenant',
      'quota',
      'default',
      'override',
      'workflows',
      '1000',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error \[FORBIDDEN\]/);
    expect(used('workflows').limit).toBe(5);
  });
});
