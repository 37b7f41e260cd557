import { PLATFORM_TENANT_ID } from '@ax/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, harness, refusal } from './helpers.js';

// guard.authorize: steps 1–3 for a call that consumes nothing (a read, an administrative change whose own
// service audits it). The CLI authorizes every command through it.
let h: Harness;
afterEach(async () => {
  await h?.cleanup();
});

// Every event of the harness's tenant (the harness's own `events()` shows only the guarded action's).
const allEvents = () =>
  h.store.db
    .prepare('SELECT action, outcome, reason FROM audit_events WHERE tenant_id = ? ORDER BY seq')
    .all(h.tenantId) as { action: string; outcome: string; reason: string | null }[];

describe('guard.authorize', () => {
  it('returns the frozen context when allowed, and records nothing and consumes nothing', async () => {
    h = await harness();
    const before = allEvents().length;
    const ctx = await h.guard.authorize(h.dev, { permission: 'workflow.read' });
    expect(ctx).toEqual(h.dev);
    expect(Object.isFrozen(ctx)).toBe(true);
    expect(allEvents().length).toBe(before);
    expect(h.used('executionsThisMonth')).toBe(0);
  });

  it('a refusal is FORBIDDEN without the explanation, and one denied event carries it', async () => {
    h = await harness();
    const err = await refusal(h.guard.authorize(h.viewer, { permission: 'secret.read' }));
    expect(err.code).toBe('FORBIDDEN');
    expect(err.message).not.toMatch(/role/);
    const denied = allEvents().filter((e) => e.action === 'secret.read.denied');
    expect(denied).toHaveLength(1);
    expect(denied[0]!.outcome).toBe('denied');
    expect(denied[0]!.reason).toMatch(/viewer/);
  });

  it('a suspended tenant answers TENANT_SUSPENDED with the reason', async () => {
    h = await harness();
    await h.tenancy.tenants.suspend(h.system, { reason: 'unpaid invoice' });
    const err = await refusal(h.guard.authorize(h.dev, { permission: 'workflow.read' }));
    expect(err.code).toBe('TENANT_SUSPENDED');
    expect(err.message).toMatch(/unpaid invoice/);
  });

  it('installation-wide actions: a tenant admin is refused on the platform pseudo-tenant', async () => {
    h = await harness();
    const admin = { ...h.dev, tenantId: PLATFORM_TENANT_ID };
    const err = await refusal(h.guard.authorize(admin, { permission: 'tenant.suspend' }));
    expect(err.code).toBe('FORBIDDEN');
    const system = { ...h.system, tenantId: PLATFORM_TENANT_ID };
    await expect(h.guard.authorize(system, { permission: 'tenant.suspend' })).resolves.toBeTruthy();
  });

  it('refuses a spec with quotas (authorize consumes nothing): VALIDATION', async () => {
    h = await harness();
    const spec = { permission: 'workflow.read', quotas: [{ quota: 'executionsThisMonth', amount: 1 }] };
    const err = await refusal(h.guard.authorize(h.dev, spec as never));
    expect(err.code).toBe('VALIDATION');
  });
});

describe('deny rules count without an object', () => {
  it('a grant narrowed by a conditional deny is refused without the object, decided with it', async () => {
    h = await harness();
    const admin = { ...h.system };
    await h.rbac.createRole(admin, {
      name: 'operator',
      permissions: ['workflow.execute'],
      rules: [{ action: 'execute', subject: 'Workflow', conditions: { locked: true }, inverted: true }],
    });
    const user = await h.rbac.createUser(admin, { email: 'op@acme.test', role: 'operator' });
    const op = { tenantId: h.tenantId, actor: { type: 'user' as const, id: user.id } };
    // CASL alone allows `execute Workflow` on the type (it skips conditional denies there)
    const err = await refusal(h.guard.authorize(op, { permission: 'workflow.execute' }));
    expect(err.code).toBe('FORBIDDEN');
    expect(
      (await refusal(h.guard.authorize(op, { permission: 'workflow.execute', object: { locked: true } })))
        .code,
    ).toBe('FORBIDDEN');
    await expect(
      h.guard.authorize(op, { permission: 'workflow.execute', object: { locked: false } }),
    ).resolves.toBeTruthy();
    await expect(h.guard.run(op, { permission: 'workflow.execute' }, () => 'ran')).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
  });
});
