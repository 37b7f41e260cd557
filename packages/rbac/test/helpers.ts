import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Actor,
  createContext,
  type ExecutionContext,
  ManualClock,
  type Tenant,
  type User,
} from '@ax/core';
import { openSqliteStore, type SqliteStore } from '@ax/store-sqlite';
import { makeTenant, makeUser } from '@ax/store-testkit';
import { createRbac, type Rbac, type RbacOptions } from '../src/index.js';

export const SYSTEM: Actor = { type: 'system', id: 'system' };

export interface Fixture {
  store: SqliteStore;
  rbac: Rbac;
  clock: ManualClock;
  file: string;
  tenant(over?: Partial<Tenant>): Promise<Tenant>;
  user(over?: Partial<User>): Promise<User>;
  /** A context acting as `userId` (or the system) in `tenantId`. */
  as(tenantId: string, userId?: string): ExecutionContext;
  /** Creates a user holding `roles` in the tenant (assigned by the system). */
  member(tenantId: string, roles: string[]): Promise<User>;
  cleanup(): Promise<void>;
}

export async function fixture(options: Partial<RbacOptions> = {}): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'ax-rbac-'));
  const file = join(dir, 'rbac.db');
  const store = await openSqliteStore(file);
  const clock = new ManualClock();
  const rbac = createRbac({ store, clock, ...options });
  const f: Fixture = {
    store,
    rbac,
    clock,
    file,
    async tenant(over = {}) {
      const t = makeTenant(over);
      await store.tenants.insert(t);
      return t;
    },
    async user(over = {}) {
      const u = makeUser(over);
      await store.users.insert(u);
      return u;
    },
    as(tenantId, userId) {
      return createContext({ tenantId, actor: userId ? { type: 'user', id: userId } : SYSTEM });
    },
    async member(tenantId, roles) {
      const u = await f.user();
      for (const role of roles) await rbac.assign(f.as(tenantId), { userId: u.id, role });
      return u;
    },
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return f;
}
