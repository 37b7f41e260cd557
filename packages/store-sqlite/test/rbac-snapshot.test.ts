import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeRole, makeTenant, makeUser } from '@ax/store-testkit';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore, type SqliteStore } from '../src/index.js';

// loadPolicy reads the epoch and assignments, then the tenant's roles. Another process can commit between those
// statements; the snapshot must still be one state of the database, never assignments of one moment with
// role definitions of a later one.
describe('sqlite rbac loadPolicy', () => {
  let dir: string;
  let store: SqliteStore;
  let other: BetterSqlite3.Database;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ax-rbac-snap-'));
    store = await openSqliteStore(join(dir, 'db.sqlite'));
    other = new BetterSqlite3(join(dir, 'db.sqlite'));
    other.pragma('busy_timeout = 5000');
  });
  afterEach(async () => {
    other.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is one consistent snapshot even when another connection commits between its reads', async () => {
    const t = makeTenant();
    const u = makeUser();
    await store.tenants.insert(t);
    await store.users.insert(u);
    await store.rbac.insertRole(makeRole(t.id, { name: 'ops', permissions: ['workflow.read'] }));
    await store.rbac.assign({ tenantId: t.id, userId: u.id, role: 'ops', grantedBy: 'x', createdAt: 1 });
    const before = await store.rbac.epoch();

    // Another process revokes `ops` from the user, then makes `ops` an admin role, right after the first
    // statement of the load has run: hook the role read the adapter prepares (lazily, on first use).
    const prepare = store.db.prepare.bind(store.db);
    let fired = false;
    store.db.prepare = ((sql: string) => {
      const stmt = prepare(sql);
      if (!/FROM rbac_roles WHERE tenant_id = \? ORDER BY name/.test(sql)) return stmt;
      const all = stmt.all.bind(stmt);
      stmt.all = ((...args: unknown[]) => {
        if (!fired) {
          fired = true;
          other
            .transaction(() => {
              other
                .prepare('DELETE FROM rbac_assignments WHERE tenant_id = ? AND principal_id = ?')
                .run(t.id, u.id);
              other.prepare(`UPDATE rbac_roles SET permissions = '["*"]' WHERE tenant_id = ?`).run(t.id);
              other.prepare('UPDATE rbac_epoch SET epoch = epoch + 2 WHERE id = 1').run();
            })
            .immediate();
        }
        return all(...(args as []));
      }) as typeof stmt.all;
      return stmt;
    }) as typeof store.db.prepare;

    const snap = await store.rbac.loadPolicy(t.id, u.id);
    expect(fired).toBe(true);
    // the state at `before`: ops assigned, ops = workflow.read. Never ops assigned with ops = `*`.
    expect(snap.epoch).toBe(before);
    expect(snap.assigned).toEqual(['ops']);
    expect(snap.roles.map((r) => r.permissions)).toEqual([['workflow.read']]);
    // and the next load sees the new state
    const after = await store.rbac.loadPolicy(t.id, u.id);
    expect(after).toMatchObject({ epoch: before + 2, assigned: [] });
    expect(after.roles.map((r) => r.permissions)).toEqual([['*']]);
  });
});
