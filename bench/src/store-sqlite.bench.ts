import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIdGenerator, type Tenant } from '@ax/core';
import { openSqliteStore } from '@ax/store-sqlite';
import BetterSqlite3 from 'better-sqlite3';
import type { BenchCase } from './harness.js';

/**
 * Adapter overhead: the same tenant insert and point read through @ax/store-sqlite and through the same
 * prepared statements on better-sqlite3 directly, each on its own database file with identical pragmas.
 */
export async function storeSqliteCases(): Promise<{
  cases: BenchCase[];
  cleanup(): Promise<void>;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'ax-bench-'));
  const store = await openSqliteStore(join(dir, 'ours.db'));
  await (await openSqliteStore(join(dir, 'raw.db'))).close(); // same schema
  const raw = new BetterSqlite3(join(dir, 'raw.db'));
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.pragma('foreign_keys = ON');
  const rawInsert = raw.prepare(
    `INSERT INTO tenants (id, slug, name, plan, status, status_reason, billing_anchor_day, created_at, updated_at)
     VALUES (@id, @slug, @name, @plan, @status, @statusReason, @billingAnchorDay, @createdAt, @updatedAt)`,
  );
  const rawGet = raw.prepare('SELECT * FROM tenants WHERE id = ?');

  const ids = createIdGenerator();
  const tenant = (i: number): Tenant => ({
    id: ids.next('tenant'),
    slug: `bench-${i}-${Math.random().toString(36).slice(2, 10)}`,
    name: `Tenant ${i}`,
    plan: 'pro',
    status: 'active',
    statusReason: null,
    billingAnchorDay: null,
    createdAt: 1,
    updatedAt: 1,
  });
  const seeded: string[] = [];
  for (let i = 0; i < 10_000; i++) {
    const t = tenant(i);
    await store.tenants.insert(t);
    rawInsert.run(t);
    seeded.push(t.id);
  }
  let n = 0;
  let m = 0;
  let k = 0;
  const cases: BenchCase[] = [
    {
      id: 'store-sqlite/point-read',
      ours: {
        name: '@ax/store-sqlite tenants.get',
        fn: () => store.tenants.get(seeded[n++ % seeded.length]!),
      },
      peer: {
        name: 'better-sqlite3 stmt.get',
        fn: () => rawGet.get(seeded[m++ % seeded.length]!),
      },
      target: {
        minRatio: 1 / 1.5,
        note: 'adapter overhead on a point read <= 1.5x',
      },
    },
    {
      id: 'store-sqlite/insert',
      ours: {
        name: '@ax/store-sqlite tenants.insert',
        fn: () => store.tenants.insert(tenant(k++)),
      },
      peer: {
        name: 'better-sqlite3 stmt.run',
        fn: () => rawInsert.run(tenant(k++)),
      },
    },
  ];
  return {
    cases,
    async cleanup() {
      raw.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
