import { PERMISSION_ACTIONS } from '@ax/audit';
import { PermissionCatalog } from '@ax/rbac';
import { describe, expect, it } from 'vitest';
import {
  createAuditSink,
  currentAuditSink,
  decisionAuditEvent,
  runWithAuditSink,
} from '../src/services/audit-wiring.js';

describe('the audit vocabulary', () => {
  it('holds every built-in permission as an action (workflow.execute, not workflow.run)', () => {
    const permissions = PermissionCatalog.builtin()
      .permissions()
      .filter((p) => p !== '*')
      .sort();
    expect([...PERMISSION_ACTIONS].sort()).toEqual(permissions);
  });
});

describe('the per-request audit sink', () => {
  it('concurrent requests each track and flush their own writes', async () => {
    const a = createAuditSink();
    const b = createAuditSink();
    let releaseA!: () => void;
    const slowA = new Promise<void>((r) => {
      releaseA = r;
    });
    const requestA = runWithAuditSink(a, async () => {
      await Promise.resolve();
      currentAuditSink()!.track(slowA);
    });
    const requestB = runWithAuditSink(b, async () => {
      await Promise.resolve();
      currentAuditSink()!.track(Promise.reject(new Error('b: audit down')));
    });
    await Promise.all([requestA, requestB]);
    expect(a.pending).toBe(1);
    await expect(b.flush()).rejects.toThrow('b: audit down'); // b's failure is b's, not a's
    expect(a.pending).toBe(1); // b's flush did not wait for a's write
    releaseA();
    await a.flush();
    expect(a.pending).toBe(0);
    expect(currentAuditSink()).toBeUndefined();
  });
});

describe('decision events', () => {
  const base = {
    allowed: false,
    action: 'read',
    subject: 'Secret',
    field: null,
    rule: null,
    role: null,
    permission: null,
    source: 'default' as const,
    reason: 'no rule',
    tenantId: 'tnt_x',
    at: 1,
  };
  it("a what-if is the asker's policy.decision, with the principal in the metadata", () => {
    const e = decisionAuditEvent({
      ...base,
      actor: { type: 'system', id: 'system' },
      principal: { type: 'user', id: 'usr_v' },
      whatIf: true,
      outcome: 'denied',
    });
    expect(e).toMatchObject({
      action: 'policy.decision',
      outcome: 'success',
      metadata: { whatIf: true, principal: { type: 'user', id: 'usr_v' }, decision: 'denied' },
    });
  });
  it('an ordinary denial is policy.denied; an allowed check is not recorded', () => {
    const actor = { type: 'user' as const, id: 'usr_v' };
    expect(
      decisionAuditEvent({ ...base, actor, principal: actor, whatIf: false, outcome: 'denied' }),
    ).toMatchObject({ action: 'policy.denied', outcome: 'denied' });
    expect(
      decisionAuditEvent({
        ...base,
        allowed: true,
        actor,
        principal: actor,
        whatIf: false,
        outcome: 'allowed',
      }),
    ).toBeNull();
  });
});
