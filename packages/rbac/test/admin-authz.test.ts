import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Fixture, fixture } from './helpers.js';

let f: Fixture;
beforeEach(async () => {
  f = await fixture();
});
afterEach(() => f.cleanup());

describe('platform administration', () => {
  it('a suspended super-admin cannot lift its own suspension, nor grant the flag', async () => {
    const t = await f.tenant();
    const root = await f.user();
    const friend = await f.user();
    await f.rbac.setSuperAdmin(f.as(t.id), root.id, true);
    await f.rbac.suspendUser(f.as(t.id), root.id);
    const ctx = f.as(t.id, root.id);
    expect(await f.rbac.can(ctx, 'read', 'Workflow')).toBe(false);
    for (const attempt of [
      () => f.rbac.activateUser(ctx, root.id),
      () => f.rbac.setSuperAdmin(ctx, friend.id, true),
      () => f.rbac.suspendUser(ctx, friend.id),
    ]) {
      await expect(attempt()).rejects.toMatchObject({
        code: 'FORBIDDEN',
        details: { denial: 'super-admin-required' },
      });
    }
    expect((await f.store.users.get(root.id))?.status).toBe('suspended');
    expect(await f.store.rbac.listSuperAdmins()).toEqual([root.id]);
    // an active super-admin may, whatever tenant its context names
    await f.rbac.activateUser(f.as(t.id), root.id);
    await f.rbac.suspendUser(ctx, friend.id);
    expect((await f.store.users.get(friend.id))?.status).toBe('suspended');
  });
});
