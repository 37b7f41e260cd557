import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliSession } from './helpers.js';

const session = cliSession();
const { run, json } = session;

beforeAll(() => {
  expect(run(['init']).code).toBe(0);
  json(['tenant', 'create', 'Other', '--slug', 'other']);
  json(['security', 'user', 'create', 'boss@example.test', '--tenant', 'default', '--role', 'admin']);
  json(['security', 'user', 'create', 'dev@example.test', '--tenant', 'default', '--role', 'developer']);
  json(['security', 'user', 'assign', 'dev@example.test', 'auditor', '--tenant', 'default']);
  json(['security', 'user', 'create', 'far@example.test', '--tenant', 'other', '--role', 'viewer']);
});
afterAll(() => session.remove());

describe('ax security user list|show', () => {
  it('lists the users holding a role in the tenant, with their roles, and only those', () => {
    const users = json(['security', 'user', 'list', '--tenant', 'default']);
    expect(users.map((u: { email: string; roles: string[] }) => [u.email, u.roles])).toEqual([
      ['boss@example.test', ['admin']],
      ['dev@example.test', ['auditor', 'developer']],
    ]);
    const human = run(['security', 'user', 'list', '--tenant', 'default']);
    expect(human.stdout).toMatch(/dev@example\.test\s+active\s+auditor,developer/);
  });

  it('shows one user and its roles; a user of another tenant is not found there', () => {
    const dev = json(['security', 'user', 'show', 'dev@example.test', '--tenant', 'default']);
    expect(dev).toMatchObject({
      email: 'dev@example.test',
      status: 'active',
      roles: ['auditor', 'developer'],
    });
    const far = run(['security', 'user', 'show', 'far@example.test', '--tenant', 'default']);
    expect(far.code).toBe(1);
    expect(far.stderr).toMatch(/^error \[NOT_FOUND\]/);
    const ghost = run(['security', 'user', 'show', 'ghost@example.test', '--tenant', 'default']);
    expect(ghost.stderr).toBe(far.stderr.replace('far@', 'ghost@'));
  });

  it('needs role.read in the tenant', () => {
    const r = run(['--as', 'far@example.test', 'security', 'user', 'list', '--tenant', 'default']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error \[FORBIDDEN\]/);
  });
});

describe('ax security role holders', () => {
  it('lists the holders of a role; an unknown role is NOT_FOUND', () => {
    const holders = json(['security', 'role', 'holders', 'auditor', '--tenant', 'default']);
    expect(holders.map((u: { email: string }) => u.email)).toEqual(['dev@example.test']);
    expect(json(['security', 'role', 'holders', 'viewer', '--tenant', 'default'])).toEqual([]);
    const none = run(['security', 'role', 'holders', 'nope', '--tenant', 'default']);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^error \[NOT_FOUND\]/);
  });
});

describe('ax security user suspend|activate', () => {
  it('suspends a user everywhere (its permissions end) and activates it again', () => {
    expect(run(['--as', 'dev@example.test', 'security', 'role', 'list', '--tenant', 'default']).code).toBe(0);
    const s = json(['security', 'user', 'suspend', 'dev@example.test']);
    expect(s).toMatchObject({ email: 'dev@example.test', status: 'suspended' });
    expect(json(['security', 'user', 'show', 'dev@example.test', '--tenant', 'default']).status).toBe(
      'suspended',
    );
    const denied = run(['--as', 'dev@example.test', 'security', 'role', 'list', '--tenant', 'default']);
    expect(denied.code).not.toBe(0);
    expect(json(['security', 'user', 'activate', 'dev@example.test']).status).toBe('active');
    expect(run(['--as', 'dev@example.test', 'security', 'role', 'list', '--tenant', 'default']).code).toBe(0);
  });

  it('is installation-wide: a tenant admin may not suspend anyone', () => {
    const r = run(['--as', 'boss@example.test', 'security', 'user', 'suspend', 'far@example.test']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error \[FORBIDDEN\]/);
    expect(json(['security', 'user', 'show', 'far@example.test', '--tenant', 'other']).status).toBe('active');
  });
});

describe('ax security user create with an e-mail that exists', () => {
  it('says to use assign, exit 1 CONFLICT, and the suggested command works', () => {
    const r = run([
      'security',
      'user',
      'create',
      'FAR@example.test',
      '--tenant',
      'default',
      '--role',
      'developer',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'error [CONFLICT]: user far@example.test exists already; give it a role here with ' +
        '`ax security user assign far@example.test developer --tenant default`\n',
    );
    json(['security', 'user', 'assign', 'far@example.test', 'developer', '--tenant', 'default']);
    expect(json(['security', 'user', 'show', 'far@example.test', '--tenant', 'default']).roles).toEqual([
      'developer',
    ]);
    json(['security', 'user', 'revoke', 'far@example.test', 'developer', '--tenant', 'default']);
  });

  it('tells nothing to an actor who may not create users', () => {
    const r = run([
      '--as',
      'far@example.test',
      'security',
      'user',
      'create',
      'dev@example.test',
      '--tenant',
      'other',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error \[FORBIDDEN\]/);
  });
});
