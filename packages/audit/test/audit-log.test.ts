import { ConflictError, ValidationError } from '@ax/core';
import { makeTenant } from '@ax/store-testkit';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { canonicalEvent, canonicalJson, chainHash } from '../src/index.js';
import { ctxFor, type Fixture, fixture, T1, T2, TestMacSigner } from './helpers.js';

let f: Fixture;
afterEach(async () => {
  await f?.cleanup();
});

describe('append and read', () => {
  it('appends events with gap-free per-tenant seqs, linked hashes and signatures', async () => {
    f = await fixture();
    const a = await f.log.append(ctxFor(T1), {
      action: 'role.assign',
      resource: 'rol_1',
      resourceType: 'role',
    });
    const b = await f.log.append(ctxFor(T2), {
      action: 'secret.read',
      resource: 'db-url',
    });
    const c = await f.log.append(ctxFor(T1), {
      action: 'user.login',
      outcome: 'failure',
      reason: 'bad password',
    });
    expect([a.seq, b.seq, c.seq]).toEqual([1, 1, 2]);
    expect(a.prevHash).toBe('0'.repeat(64));
    expect(c.prevHash).toBe(a.hash);
    expect(a.actor).toEqual({ type: 'user', id: 'usr_alice' });
    expect(a.ip).toBe('203.0.113.7');
    const v = await f.log.verify(T1);
    expect(v).toMatchObject({ ok: true, count: 2 });
  });

  it('hashes SHA-256(prevHash ‖ canonical JSON), as documented', async () => {
    f = await fixture();
    const e = await f.log.append(ctxFor(), {
      action: 'tenant.update',
      metadata: { b: 1, a: { d: [1, 'x'], c: null } },
    });
    const raw = new BetterSqlite3(f.file, { readonly: true });
    const row = raw.prepare('SELECT * FROM audit_events WHERE seq = 1').get() as Record<string, never>;
    raw.close();
    expect(row.metadata).toBe('{"a":{"c":null,"d":[1,"x"]},"b":1}');
    const canonical = canonicalJson({
      action: 'tenant.update',
      actor: { id: 'usr_alice', type: 'user' },
      id: e.id,
      ip: '203.0.113.7',
      metadata: { a: { c: null, d: [1, 'x'] }, b: 1 },
      outcome: 'success',
      reason: null,
      requestId: 'req_1',
      resource: null,
      resourceType: null,
      seq: 1,
      tenantId: T1,
      timestamp: e.timestamp,
      userAgent: 'vitest',
    });
    expect(chainHash(new Uint8Array(32), canonical).toString('hex')).toBe(e.hash);
    expect(canonical).not.toMatch(/\s/);
  });

  it('records unknown actors (no foreign key) and refuses unknown actions unless registered', async () => {
    f = await fixture({ actions: ['invoice.pay'] });
    const e = await f.log.append(ctxFor(), {
      action: 'user.login.failed',
      outcome: 'failure',
      actor: { type: 'user', id: 'usr_nobody_we_know' },
    });
    expect(e.actor.id).toBe('usr_nobody_we_know');
    await expect(f.log.append(ctxFor(), { action: 'made.up' })).rejects.toBeInstanceOf(ValidationError);
    await expect(f.log.append(ctxFor(), { action: 'NOT AN ACTION' })).rejects.toBeInstanceOf(ValidationError);
    expect((await f.log.append(ctxFor(), { action: 'invoice.pay' })).seq).toBe(2);
  });

  it('batched appends take consecutive seqs in one transaction', async () => {
    f = await fixture();
    const events = await f.log.appendBatch(
      ctxFor(),
      Array.from({ length: 50 }, (_, i) => ({
        action: 'workflow.execute',
        resource: `wf_${i}`,
      })),
    );
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    await expect(
      f.log.appendBatch(ctxFor(), [{ action: 'workflow.execute' }, { action: 'bogus.thing' }]),
    ).rejects.toBeInstanceOf(ValidationError);
    expect((await f.store.audit.head(T1)).seq).toBe(50);
    expect(await f.log.verify(T1)).toMatchObject({ ok: true, count: 50 });
  });

  it('record(tx) commits with the caller’s change, and rolls back with it', async () => {
    f = await fixture();
    const t = makeTenant();
    await f.store.transaction(async (tx) => {
      await tx.tenants.insert(t);
      await f.log.record(tx, ctxFor(), {
        action: 'tenant.create',
        resource: t.id,
      });
    });
    await expect(
      f.store.transaction(async (tx) => {
        await f.log.record(tx, ctxFor(), {
          action: 'tenant.create',
          resource: 'second',
        });
        await tx.tenants.insert(makeTenant({ slug: t.slug })); // conflict: whole transaction rolls back
      }),
    ).rejects.toBeInstanceOf(ConflictError);
    const page = await f.log.query({ tenantId: T1 });
    expect(page.events.map((e) => e.resource)).toEqual([t.id]);
    expect((await f.store.audit.head(T1)).seq).toBe(1);
    expect(await f.log.verify(T1)).toMatchObject({ ok: true, count: 1 });
  });

  it('timestamps never go backwards along a chain', async () => {
    f = await fixture();
    await f.log.append(ctxFor(), { action: 'user.login' });
    const clock = f.clock;
    const later = clock.now();
    const log2 = new (await import('../src/index.js')).AuditLog({
      store: f.store,
      signer: f.signer,
      clock: { now: () => later - 60_000 },
    });
    const e = await log2.append(ctxFor(), { action: 'user.logout' });
    expect(e.timestamp).toBe(later);
    expect(canonicalEvent).toBeTypeOf('function');
  });

  it('keeps verifying across key rotation: each event records its key version', async () => {
    const signer = new TestMacSigner({ 1: 'k1' });
    f = await fixture({ signer });
    await f.log.append(ctxFor(), { action: 'user.login' });
    signer.rotate('k2');
    const e = await f.log.append(ctxFor(), { action: 'user.logout' });
    expect(e.keyVersion).toBe(2);
    expect(await f.log.verify(T1)).toMatchObject({ ok: true, count: 2 });
  });
});

describe('append-only storage', () => {
  it('refuses UPDATE and DELETE of audit rows, and moving the head backwards', async () => {
    f = await fixture();
    await f.log.append(ctxFor(), { action: 'user.login' });
    const raw = new BetterSqlite3(f.file);
    expect(() => raw.prepare("UPDATE audit_events SET action = 'user.logout'").run()).toThrow(/append-only/);
    expect(() => raw.prepare('DELETE FROM audit_events').run()).toThrow(/retention prune/);
    expect(() => raw.prepare('UPDATE audit_heads SET seq = 0').run()).toThrow(/forward/);
    expect(() => raw.prepare('DELETE FROM audit_heads').run()).toThrow(/never deleted/);
    raw.close();
  });
});
