import { AxError, SECRET_KEY_PATTERNS, ValidationError } from '@ax/core';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog, DEFAULT_REDACT_PATTERNS, PERMISSION_ACTIONS, RENAMED_ACTIONS } from '../src/index.js';
import { ctxFor, type Fixture, fixture, T1 } from './helpers.js';

let f: Fixture | undefined;
afterEach(async () => {
  await f?.cleanup();
  f = undefined;
});

describe('one vocabulary with rbac and core', () => {
  it('records a guarded act under its permission name, with its phases; workflow.run is no longer new', async () => {
    f = await fixture();
    for (const action of ['workflow.execute', 'workflow.execute.started', 'workflow.execute.completed']) {
      expect(f.log.knowsAction(action)).toBe(true);
      await f.log.append(ctxFor(), { action });
    }
    expect(PERMISSION_ACTIONS).toContain('workflow.execute');
    expect(f.log.knowsAction('workflow.run')).toBe(false);
    await expect(f.log.append(ctxFor(), { action: 'workflow.run' })).rejects.toBeInstanceOf(ValidationError);
    await expect(f.log.append(ctxFor(), { action: 'made.up.started' })).rejects.toBeInstanceOf(
      ValidationError,
    );
    expect(RENAMED_ACTIONS['workflow.run']).toBe('workflow.execute');
  });

  it('chains written with the old name still verify', async () => {
    f = await fixture({ actions: ['workflow.run'] }); // as an older release wrote them
    await f.log.append(ctxFor(), { action: 'workflow.run' });
    const today = new AuditLog({ store: f.store, signer: f.signer, clock: f.clock });
    await today.append(ctxFor(), { action: 'workflow.execute' });
    expect(await today.verify(T1)).toMatchObject({ ok: true, count: 2 });
  });

  it("redacts with core's secret-key list, the one AxError.toJSON uses", async () => {
    expect(DEFAULT_REDACT_PATTERNS).toBe(SECRET_KEY_PATTERNS);
    f = await fixture();
    const metadata = { masterKey: 'mk-1', privateKey: 'pk-1', plaintext: 'pt-1', note: 'kept' };
    const e = await f.log.append(ctxFor(), { action: 'policy.update', metadata });
    expect(e.metadata).toEqual({
      masterKey: '[REDACTED]',
      privateKey: '[REDACTED]',
      plaintext: '[REDACTED]',
      note: 'kept',
    });
    // the same keys are hidden from an error's JSON
    const err = new AxError('INTERNAL', 500, 'x', { details: metadata });
    expect(err.toJSON().details).toEqual(e.metadata);
  });
});
