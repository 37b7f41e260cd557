import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliSession } from './helpers.js';

const session = cliSession();
const { run, json } = session;

beforeAll(() => {
  expect(run(['init']).code).toBe(0);
});
afterAll(() => session.remove());

describe('ax tenant delete|purge', () => {
  it('soft-deletes, then purges only with the slug typed again, and audits both', () => {
    const t = json(['tenant', 'create', 'Acme', '--slug', 'acme']);
    const early = run(['tenant', 'purge', 'acme', '--confirm', 'acme']);
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(/^error \[CONFLICT\].*deleted before/);

    expect(json(['tenant', 'delete', 'acme'])).toMatchObject({ id: t.id, status: 'deleted' });
    expect(
      json(['tenant', 'list', '--status', 'deleted']).items.map((x: { slug: string }) => x.slug),
    ).toEqual(['acme']);
    const refused = run(['tenant', 'quota', 'acme']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/^error \[TENANT_SUSPENDED\]/);

    const typo = run(['tenant', 'purge', 'acme', '--confirm', 'acm']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/^error \[VALIDATION\].*--confirm/);
    expect(run(['tenant', 'purge', 'acme']).code).toBe(2); // --confirm is required
    expect(json(['tenant', 'show', 'acme']).status).toBe('deleted');

    expect(json(['tenant', 'purge', 'acme', '--confirm', 'acme'])).toEqual({ purged: t.id, slug: 'acme' });
    const gone = run(['tenant', 'show', 'acme']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^error \[NOT_FOUND\]/);

    const events = json(['audit', 'query', '--all-tenants']).events as { action: string; tenantId: string }[];
    const mine = events.filter((e) => e.tenantId === t.id).map((e) => e.action);
    expect(mine).toEqual(expect.arrayContaining(['tenant.delete', 'tenant.purge']));
  });

  it('is installation-wide: a tenant’s own admin can neither delete nor purge it', () => {
    json(['tenant', 'create', 'Beta', '--slug', 'beta']);
    json(['security', 'user', 'create', 'boss@beta.test', '--tenant', 'beta', '--role', 'admin']);
    const del = run(['--as', 'boss@beta.test', 'tenant', 'delete', 'beta']);
    expect(del.code).toBe(1);
    expect(del.stderr).toMatch(/^error \[FORBIDDEN\]/);
    json(['tenant', 'delete', 'beta']);
    const purge = run(['--as', 'boss@beta.test', 'tenant', 'purge', 'beta', '--confirm', 'beta']);
    expect(purge.stderr).toMatch(/^error \[FORBIDDEN\]/);
    expect(json(['tenant', 'show', 'beta']).status).toBe('deleted');
  });
});
