import { join } from 'node:path';
import { testId, makeTenant, makeUser } from '@ax/store-testkit';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, openSqliteStore } from '../src/index.js';
import { tempFiles } from './probes.js';

const { tmpFile, cleanups } = tempFiles();

const at = 1_767_225_600_000;

// Migration 8: an assignment's principal is a user or an API key; the foreign key still guards users.
describe('sqlite rbac principals (migration 8)', () => {
  it('stores a key without a user link, and still refuses an assignment to a missing user', async () => {
    const file = tmpFile();
    const store = await openSqliteStore(file);
    cleanups.push(() => store.close());
    const t = makeTenant();
    const u = makeUser();
    await store.tenants.insert(t);
    await store.users.insert(u);
    const key = testId('key');
    await store.rbac.assign({
      tenantId: t.id,
      userId: key,
      role: 'viewer',
      grantedBy: 'system',
      createdAt: at,
    });
    await store.rbac.assign({
      tenantId: t.id,
      userId: u.id,
      role: 'viewer',
      grantedBy: 'system',
      createdAt: at,
    });
    // a missing user is still refused (the foreign key), and a key-like id in another case is a user id
    for (const missing of [testId('usr'), `KEY_${key.slice(4)}`]) {
      await expect(
        store.rbac.assign({
          tenantId: t.id,
          userId: missing,
          role: 'viewer',
          grantedBy: 'system',
          createdAt: at,
        }),
      ).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' });
    }
    const raw = new BetterSqlite3(file, { readonly: true });
    cleanups.push(() => void raw.close());
    expect(
      raw.prepare('SELECT principal_id, user_id FROM rbac_assignments ORDER BY principal_id').all(),
    ).toEqual([
      { principal_id: key, user_id: null },
      { principal_id: u.id, user_id: u.id },
    ]);
    expect(raw.pragma('foreign_key_check')).toEqual([]);
  });

  it('keeps the assignments a database had before it', async () => {
    const file = tmpFile();
    const before = MIGRATIONS.filter((m) => m.id < 8);
    const old = await openSqliteStore(file, { migrations: before });
    const t = makeTenant();
    const u = makeUser();
    await old.tenants.insert(t);
    await old.users.insert(u);
    old.db
      .prepare(
        'INSERT INTO rbac_assignments (tenant_id, user_id, role, granted_by, created_at) VALUES (?, ?, ?, ?, ?)',
      )
      .run(t.id, u.id, 'viewer', 'system', at);
    const epoch = await old.rbac.epoch();
    await old.close();

    const store = await openSqliteStore(file);
    cleanups.push(() => store.close());
    expect(await store.rbac.listAssignments({ tenantId: t.id })).toEqual([
      { tenantId: t.id, userId: u.id, role: 'viewer', grantedBy: 'system', createdAt: at },
    ]);
    expect(await store.rbac.epoch()).toBe(epoch);
    expect(await store.users.purge(u.id)).toBe(true);
    expect(await store.rbac.listAssignments({ tenantId: t.id })).toEqual([]);
  });
});
