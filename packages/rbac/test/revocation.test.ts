import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { openSqliteStore } from '@ax/store-sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRbac } from '../src/index.js';
import { type Fixture, fixture } from './helpers.js';

let f: Fixture;
beforeEach(async () => {
  f = await fixture({ epochTtlMs: 1000 });
});
afterEach(() => f.cleanup());

describe('revocation', () => {
  it('in the same process, the very next check after a revoke is denied (no clock movement)', async () => {
    const t = await f.tenant();
    const u = await f.member(t.id, ['viewer']);
    const ctx = f.as(t.id, u.id);
    const sibling = createRbac({ store: f.store, clock: f.clock, epochTtlMs: 1000 });
    expect(await f.rbac.can(ctx, 'read', 'Workflow')).toBe(true);
    expect(await sibling.can(ctx, 'read', 'Workflow')).toBe(true);
    await f.rbac.revoke(f.as(t.id), { userId: u.id, role: 'viewer' });
    expect(await f.rbac.can(ctx, 'read', 'Workflow')).toBe(false);
    expect(await sibling.can(ctx, 'read', 'Workflow')).toBe(false); // another Rbac on the same store
    await f.rbac.assign(f.as(t.id), { userId: u.id, role: 'viewer' });
    expect(await sibling.can(ctx, 'read', 'Workflow')).toBe(true);
    await f.rbac.suspendUser(f.as(t.id), { userId: u.id });
    expect(await sibling.can(ctx, 'read', 'Workflow')).toBe(false);
    await f.rbac.activateUser(f.as(t.id), { userId: u.id });
    await f.rbac.createRole(f.as(t.id), {
      name: 'nope',
      rules: [{ action: 'read', subject: 'Workflow', inverted: true }],
    });
    expect(await f.rbac.can(ctx, 'read', 'Workflow')).toBe(true);
    await f.rbac.assign(f.as(t.id), { userId: u.id, role: 'nope' });
    expect(await f.rbac.can(ctx, 'read', 'Workflow')).toBe(false);
    await f.rbac.deleteRole(f.as(t.id), { name: 'nope' });
    expect(await f.rbac.can(ctx, 'read', 'Workflow')).toBe(true);
  });

  it('a load that races a write is not cached', async () => {
    const t = await f.tenant();
    const u = await f.member(t.id, ['viewer']);
    const ctx = f.as(t.id, u.id);
    const pending = f.rbac.can(ctx, 'read', 'Workflow'); // starts a load
    await f.rbac.revoke(f.as(t.id), { userId: u.id, role: 'viewer' });
    await pending;
    expect(await f.rbac.can(ctx, 'read', 'Workflow')).toBe(false);
  });

  it('another store on the same file (like another process) sees it once the time-to-live has passed', async () => {
    const t = await f.tenant();
    const u = await f.member(t.id, ['viewer']);
    const other = await openSqliteStore(f.file);
    try {
      const rbac2 = createRbac({ store: other, clock: f.clock, epochTtlMs: 200 });
      const ctx = f.as(t.id, u.id);
      expect(await rbac2.can(ctx, 'read', 'Workflow')).toBe(true);
      await f.rbac.revoke(f.as(t.id), { userId: u.id, role: 'viewer' });
      expect(await rbac2.can(ctx, 'read', 'Workflow')).toBe(true); // within the TTL: the bounded staleness
      f.clock.advance(200);
      expect(await rbac2.can(ctx, 'read', 'Workflow')).toBe(false);
      // a tenant suspended by other code (no rbac call): the store's trigger bumps the epoch
      await f.rbac.assign(f.as(t.id), { userId: u.id, role: 'viewer' });
      f.clock.advance(200);
      expect(await rbac2.can(ctx, 'read', 'Workflow')).toBe(true);
      await f.store.tenants.update(t.id, { status: 'suspended', updatedAt: 2 });
      f.clock.advance(200);
      expect(await rbac2.can(ctx, 'read', 'Workflow')).toBe(false);
    } finally {
      await other.close();
    }
  });

  it('a second process sees a revocation within its time-to-live', async () => {
    const t = await f.tenant();
    const u = await f.member(t.id, ['viewer']);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'revocation-child.ts'), f.file, '500'],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const next = async () => String((await lines.next()).value);
    const send = async (cmd: string) => {
      child.stdin!.write(`${cmd}\n`);
      return next();
    };
    try {
      expect(await next()).toBe('ready');
      expect(await send(`check ${t.id} ${u.id}`)).toBe('allowed');
      await f.rbac.revoke(f.as(t.id), { userId: u.id, role: 'viewer' });
      // the child's clock has not moved: its cached answer is still inside the TTL
      expect(await send(`check ${t.id} ${u.id}`)).toBe('allowed');
      expect(await send('advance 499')).toBe('ok');
      expect(await send(`check ${t.id} ${u.id}`)).toBe('allowed');
      expect(await send('advance 1')).toBe('ok');
      // TTL reached: the child reads the epoch, sees the bump, reloads
      expect(await send(`check ${t.id} ${u.id}`)).toBe('denied');
      await f.rbac.assign(f.as(t.id), { userId: u.id, role: 'viewer' });
      expect(await send('advance 500')).toBe('ok');
      expect(await send(`check ${t.id} ${u.id}`)).toBe('allowed');
      child.stdin!.write('exit\n');
    } finally {
      child.stdin!.end(); // else the child's open stdin keeps it alive until the 10 s kill below
      await new Promise((r) => {
        child.once('exit', r);
        setTimeout(() => child.kill(), 10_000).unref();
      });
    }
  }, 30_000);
});

describe('revocation while a load is in flight', () => {
  it('a check that starts after the revoke never shares a load that began before it', async () => {
    const t = await f.tenant();
    const u = await f.member(t.id, ['viewer']);
    const ctx = f.as(t.id, u.id);
    // hold loads open so the revoke lands while one is in flight
    const slow = {
      ...f.store,
      rbac: {
        ...f.store.rbac,
        loadPolicy: async (tenantId: string, userId: string) => {
          const snap = await f.store.rbac.loadPolicy(tenantId, userId);
          await new Promise((r) => setTimeout(r, 20));
          return snap;
        },
      },
      transaction: f.store.transaction.bind(f.store),
    };
    const rbac = createRbac({ store: slow, clock: f.clock });
    const before = rbac.can(ctx, 'read', 'Workflow'); // load A starts, reads "viewer"
    await f.store.rbac.revoke(t.id, u.id, 'viewer'); // written elsewhere, then this process learns of it
    rbac.invalidate();
    const after = rbac.can(ctx, 'read', 'Workflow'); // must not join load A
    expect(await before).toBe(true);
    expect(await after).toBe(false);
  });
});

describe('re-validation after the time-to-live', () => {
  it('one epoch read re-validates every cached set, and concurrent checks share it', async () => {
    const t = await f.tenant();
    const users = [];
    for (let i = 0; i < 20; i++) users.push(await f.member(t.id, ['viewer']));
    let reads = 0;
    const counted = {
      ...f.store,
      rbac: {
        ...f.store.rbac,
        epoch: () => {
          reads++;
          return f.store.rbac.epoch();
        },
      },
      transaction: f.store.transaction.bind(f.store),
    };
    const rbac = createRbac({ store: counted, clock: f.clock, epochTtlMs: 100 });
    const check = (u: { id: string }) => rbac.can(f.as(t.id, u.id), 'read', 'Workflow');
    for (const u of users) expect(await check(u)).toBe(true);
    expect(reads).toBe(0);
    f.clock.advance(100);
    // a burst: every user at once, three times each, right after the time-to-live passed
    const burst = await Promise.all(users.flatMap((u) => [check(u), check(u), check(u)]));
    expect(burst.every(Boolean)).toBe(true);
    expect(reads).toBe(1);
    for (const u of users) expect(await check(u)).toBe(true);
    expect(reads).toBe(1);
    // and it still notices a change made elsewhere (here: straight through the port, no rbac call)
    await f.store.rbac.revoke(t.id, users[0]!.id, 'viewer');
    expect(await check(users[0]!)).toBe(true); // inside the time-to-live
    f.clock.advance(100);
    expect(await check(users[0]!)).toBe(false);
    expect(await check(users[1]!)).toBe(true);
    expect(reads).toBe(2);
  });
});
