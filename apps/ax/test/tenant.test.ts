import { join } from 'node:path';
import { SYSTEM_ACTOR } from '@ax/core';
import { openSqliteStore } from '@ax/store-sqlite';
import { createTenancy } from '@ax/tenancy';
import { afterEach, describe, expect, it } from 'vitest';
import { ax, tempDir } from './helpers.js';

const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});
function db(): string {
  const t = tempDir();
  dirs.push(t);
  return join(t.dir, 'ax.db');
}
const json = (args: string[], file: string) => {
  const r = ax(['--db', file, '--json', ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
};

describe('ax init and quotas', () => {
  it('gives the default tenant its plan’s quotas, idempotently', () => {
    const file = db();
    const first = json(['init'], file);
    const usage = json(['tenant', 'quota', 'default'], file);
    expect(usage.plan).toBe('free');
    expect(
      Object.fromEntries(usage.quotas.map((q: { quota: string; limit: number }) => [q.quota, q.limit])),
    ).toEqual({
      workflows: 5,
      executionsThisMonth: 100,
      concurrentExecutions: 2,
      storageBytes: 100 * 1024 * 1024,
      apiCallsThisMonth: 1000,
    });
    const again = json(['init'], file);
    expect(again.created).toBe(false);
    expect(again.defaultTenant.id).toBe(first.defaultTenant.id);
    expect(json(['tenant', 'list'], file).items).toHaveLength(1);
  });
});

describe('ax tenant', () => {
  it('creates, lists, shows, suspends, activates and changes plan', () => {
    const file = db();
    json(['init'], file);
    const t = json(['tenant', 'create', 'Acme Inc', '--slug', 'acme', '--plan', 'pro'], file);
    expect(t).toMatchObject({ slug: 'acme', name: 'Acme Inc', plan: 'pro', status: 'active' });
    expect(json(['tenant', 'list'], file).items.map((x: { slug: string }) => x.slug)).toEqual([
      'default',
      'acme',
    ]);
    expect(json(['tenant', 'show', t.id], file).slug).toBe('acme');
    const s = json(['tenant', 'suspend', 'acme', '--reason', 'unpaid invoice'], file);
    expect(s).toMatchObject({ status: 'suspended', statusReason: 'unpaid invoice' });
    expect(json(['tenant', 'list', '--status', 'suspended'], file).items).toHaveLength(1);
    expect(json(['tenant', 'activate', 'acme'], file).status).toBe('active');
    expect(json(['tenant', 'plan', 'acme', 'enterprise'], file).plan).toBe('enterprise');
    const human = ax(['--db', file, 'tenant', 'show', 'acme']);
    expect(human.stdout).toMatch(/plan\s+enterprise/);
  });

  it('refuses bad input with exit 2 and unknown tenants with exit 1', () => {
    const file = db();
    json(['init'], file);
    const dup = ax(['--db', file, 'tenant', 'create', 'Again', '--slug', 'default']);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/^error \[CONFLICT\]/);
    const slug = ax(['--db', file, 'tenant', 'create', 'Bad', '--slug', 'Not Valid']);
    expect(slug.code).toBe(2);
    expect(slug.stderr).toMatch(/^error \[VALIDATION\]/);
    expect(ax(['--db', file, 'tenant', 'plan', 'default', 'gold']).code).toBe(2);
    expect(ax(['--db', file, 'tenant', 'suspend', 'default']).code).toBe(2); // --reason is required
    const missing = ax(['--db', file, 'tenant', 'quota', 'nobody']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error \[NOT_FOUND\]/);
  });

  it('quota shows live usage, the period and active leases', async () => {
    const file = db();
    json(['init'], file);
    json(['tenant', 'create', 'Acme', '--slug', 'acme'], file);
    const store = await openSqliteStore(file);
    try {
      const { tenants, quotas } = createTenancy({ store });
      const t = await tenants.get('acme');
      const at = { tenantId: t.id, actor: SYSTEM_ACTOR };
      await quotas.consume(at, { quota: 'executionsThisMonth', amount: 42 });
      await quotas.consume(at, { quota: 'storageBytes', amount: 1024 });
      const lease = await quotas.acquireSlot(at, { ttlMs: 600_000, holder: 'worker-1' });
      const usage = json(['tenant', 'quota', 'acme'], file);
      const byName = Object.fromEntries(usage.quotas.map((q: { quota: string }) => [q.quota, q]));
      expect(byName.executionsThisMonth).toMatchObject({ used: 42, limit: 100, remaining: 58 });
      expect(byName.storageBytes).toMatchObject({ used: 1024 });
      expect(byName.concurrentExecutions).toMatchObject({ used: 1, limit: 2 });
      expect(usage.leases).toEqual([expect.objectContaining({ id: lease.id, holder: 'worker-1' })]);
      expect(usage.periodEnd).toBeGreaterThan(Date.now());
      const human = ax(['--db', file, 'tenant', 'quota', 'acme']);
      expect(human.stdout).toMatch(/executionsThisMonth\s+periodic\s+100\s+42\s+58\s+hard/);
      expect(human.stdout).toContain(lease.id);
    } finally {
      await store.close();
    }
  });
});
