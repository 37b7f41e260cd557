import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Tenant, User } from '@ax/core';
import type { CoreProbe } from '@ax/store-testkit';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach } from 'vitest';

/**
 * Raw probes: a second, independent better-sqlite3 connection to the same file, with hand-written SQL.
 * They never go through the adapter's own statements or row mapping.
 */
export function sqliteProbe(filename: string): CoreProbe & { raw: BetterSqlite3.Database } {
  const raw = new BetterSqlite3(filename, { readonly: true });
  return {
    raw,
    async tenantRow(id) {
      const r = raw.prepare('SELECT * FROM tenants WHERE id = ?').get(id) as
        | {
            id: string;
            slug: string;
            name: string;
            plan: string;
            status: Tenant['status'];
            status_reason: string | null;
            billing_anchor_day: number | null;
            created_at: number;
            updated_at: number;
          }
        | undefined;
      if (!r) return null;
      const t: Tenant = {
        id: r.id,
        slug: r.slug,
        name: r.name,
        plan: r.plan,
        status: r.status,
        statusReason: r.status_reason,
        billingAnchorDay: r.billing_anchor_day,
        createdAt: r.created_at,
        updatedAt: r.updated_at,
      };
      return t;
    },
    async userRow(id) {
      const r = raw.prepare('SELECT * FROM users WHERE id = ?').get(id) as
        | {
            id: string;
            email: string;
            status: User['status'];
            created_at: number;
            updated_at: number;
          }
        | undefined;
      if (!r) return null;
      const u: User = {
        id: r.id,
        email: r.email,
        status: r.status,
        createdAt: r.created_at,
        updatedAt: r.updated_at,
      };
      return u;
    },
  };
}

/** A temp directory removed by the returned cleanup. */
export function tempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'ax-sqlite-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * For a test file: `tmpFile()` gives a new database path in its own temp folder, and `cleanups` (run in reverse
 * after each test) removes the folders and whatever else a test pushes (closing stores and raw handles).
 */
export function tempFiles(): { tmpFile(): string; cleanups: (() => void | Promise<void>)[] } {
  const cleanups: (() => void | Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  return {
    cleanups,
    tmpFile() {
      const t = tempDir();
      cleanups.push(t.remove);
      return join(t.dir, 'ax.db');
    },
  };
}
