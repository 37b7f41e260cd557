import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ax, tempDir } from './helpers.js';

// `--as <user>` on every area's commands: the user's permissions are enforced, and the run is audited.
const tmp = tempDir();
const cwd = tmp.dir;
const run = (args: string[], input?: string) => ax(args, { cwd, input });
const ok = (args: string[], input?: string) => {
  const r = run([...args, '--json'], input);
  if (r.code !== 0) throw new Error(`ax ${args.join(' ')}: ${r.code} ${r.stderr}`);
  return JSON.parse(r.stdout);
};
const forbidden = (args: string[], input?: string) => {
  const r = run(args, input);
  expect(r.code, `ax ${args.join(' ')}: ${r.stderr}`).toBe(1);
  expect(r.stderr).toMatch(/^error \[FORBIDDEN\]/m);
};

let adminId = '';
beforeAll(() => {
  expect(run(['init']).code).toBe(0);
  adminId = ok([
    'security',
    'user',
    'create',
    'admin@example.test',
    '--tenant',
    'default',
    '--role',
    'admin',
  ]).id;
  ok(['security', 'user', 'create', 'viewer@example.test', '--tenant', 'default', '--role', 'viewer']);
  ok(['security', 'user', 'create', 'auditor@example.test', '--tenant', 'default', '--role', 'auditor']);
});
afterAll(() => tmp.remove());

describe('--as enforcement across areas', () => {
  it('secrets: a tenant admin may write and read; a viewer may do neither', () => {
    ok(['secret', 'set', 'stripe', '--tenant', 'default', '--as', 'admin@example.test'], 'sk_live_1');
    expect(run(['secret', 'get', 'stripe', '--tenant', 'default', '--as', 'admin@example.test']).stdout).toBe(
      'sk_live_1\n',
    );
    forbidden(['secret', 'set', 'stripe', '--tenant', 'default', '--as', 'viewer@example.test'], 'x');
    forbidden(['secret', 'get', 'stripe', '--tenant', 'default', '--as', 'viewer@example.test']);
    forbidden(['secret', 'rm', 'stripe', '--tenant', 'default', '--as', 'viewer@example.test']);
  });

  it('installation-wide commands need a platform super-admin, not a tenant admin', () => {
    forbidden(['keys', 'rotate', '--as', 'admin@example.test']);
    forbidden(['keys', 'status', '--as', 'admin@example.test']);
    forbidden(['tenant', 'create', 'Evil', '--slug', 'evil-co', '--as', 'admin@example.test']);
    forbidden(['tenant', 'list', '--as', 'admin@example.test']);
    expect(ok(['keys', 'status']).primaryVersion).toBe(1); // the operator (no --as) still can
  });

  it('tenants and audit: permissions per command', () => {
    forbidden(['tenant', 'suspend', 'default', '--reason', 'x', '--as', 'viewer@example.test']);
    expect(ok(['tenant', 'show', 'default', '--as', 'viewer@example.test']).slug).toBe('default');
    forbidden(['audit', 'query', '--tenant', 'default', '--as', 'viewer@example.test']);
    forbidden(['audit', 'query', '--all-tenants', '--as', 'auditor@example.test']);
    expect(
      ok(['audit', 'query', '--tenant', 'default', '--as', 'auditor@example.test']).events.length,
    ).toBeGreaterThan(0);
  });

  it('an unknown --as user is UNAUTHORIZED, not the operator', () => {
    const r = run(['secret', 'list', '--tenant', 'default', '--as', 'nobody@example.test']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error \[UNAUTHORIZED\]/m);
  });

  it('records --as runs with the user as actor and the outcome, tenant-scoped or on the platform chain', () => {
    const inTenant = ok([
      'audit',
      'query',
      '--tenant',
      'default',
      '--action',
      'command.run',
      '--limit',
      '200',
    ]);
    const denied = inTenant.events.filter(
      (e: { outcome: string; resource: string }) => e.outcome === 'denied' && e.resource === 'secret set',
    );
    expect(denied.length).toBe(1);
    expect(denied[0].actor.type).toBe('user');
    const allowed = inTenant.events.filter(
      (e: { outcome: string; resource: string }) => e.outcome === 'success' && e.resource === 'secret set',
    );
    expect(allowed.length).toBe(1);
    expect(allowed[0].actor.id).toBe(adminId);
    const platform = ok(['audit', 'query', '--all-tenants', '--action', 'command.run', '--limit', '200']);
    const keysRotate = platform.events.filter(
      (e: { resource: string; tenantId: string }) => e.resource === 'keys rotate',
    );
    expect(keysRotate).toHaveLength(1);
    expect(keysRotate[0]).toMatchObject({ outcome: 'denied', tenantId: 'platform' });
  });
});

describe('--as never falls back to the operator', () => {
  // A script doing `ax --as "$USER_EMAIL" …` with the variable empty must not run as the operator.
  it.each([
    [['--as', '']],
    [['--as=']],
    [['--as', '   ']],
    [['--as', 'viewer@example.test', '--as', '']],
    [['--as', 'viewer@example.test', '--as', 'admin@example.test']],
  ])('%j is a usage error (exit 2) and prints no secret', (asArgs) => {
    ok(['secret', 'set', 'canary', '--tenant', 'default'], 'never-printed');
    const r = run(['secret', 'get', 'canary', '--tenant', 'default', ...asArgs]);
    expect(r.code).toBe(2);
    expect(r.stdout).not.toContain('never-printed');
    expect(r.stderr).toMatch(/^error \[USAGE\]: .*--as/m);
  });
});

describe('authorization beyond the role name', () => {
  it('a tenant admin cannot change its own tenant plan (an installation-wide action)', () => {
    forbidden(['tenant', 'plan', 'default', 'enterprise', '--as', 'admin@example.test']);
    expect(ok(['tenant', 'show', 'default']).plan).toBe('free');
  });

  it('a deny rule on one key holds: the CLI authorizes with the key as the object', () => {
    const rules = join(cwd, 'no-prod.json');
    writeFileSync(
      rules,
      JSON.stringify([{ action: 'read', subject: 'Secret', conditions: { key: 'prod-db' }, inverted: true }]),
    );
    ok([
      'security',
      'role',
      'create',
      'reader',
      '--tenant',
      'default',
      '--permissions',
      'secret.read',
      '--rules',
      rules,
    ]);
    ok(['security', 'user', 'create', 'reader@example.test', '--tenant', 'default', '--role', 'reader']);
    ok(['secret', 'set', 'prod-db', '--tenant', 'default'], 'postgres://prod');
    ok(['secret', 'set', 'staging-db', '--tenant', 'default'], 'postgres://staging');
    forbidden(['secret', 'get', 'prod-db', '--tenant', 'default', '--as', 'reader@example.test']);
    const staging = run([
      'secret',
      'get',
      'staging-db',
      '--tenant',
      'default',
      '--as',
      'reader@example.test',
    ]);
    expect(staging.stdout).toBe('postgres://staging\n');
    // listing every key is not covered by a grant that excludes one
    forbidden(['secret', 'list', '--tenant', 'default', '--as', 'reader@example.test']);
  });
});
