import { join } from 'node:path';
import { createContext, PLATFORM_TENANT_ID, SYSTEM_ACTOR } from '@ax/core';
import { openSqliteStore } from '@ax/store-sqlite';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createAuditSink, createServices, runWithAuditSink } from '../src/index.js';
import { ax, tempDir } from './helpers.js';

const MASTER_KEY = `hex:${'22'.repeat(32)}`;
const tmp = tempDir();
afterAll(() => tmp.remove());

describe('the services root', () => {
  it('opens the keyring once per process, whoever asks first, and reserves nothing until it encrypts', async () => {
    const store = await openSqliteStore(join(tmp.dir, 'root.db'));
    let loads = 0;
    let reservations = 0;
    const keyring = new Proxy(store.keyring, {
      get(target, prop) {
        const v = Reflect.get(target, prop, target) as unknown;
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          if (prop === 'load') loads++;
          if (prop === 'reserveEncryptions') reservations++;
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const counted = new Proxy(store, {
      get(target, prop) {
        if (prop === 'keyring') return keyring;
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const services = createServices({ store: counted, masterKey: MASTER_KEY });
    const [a, b] = await Promise.all([services.keyring(), services.keyring()]);
    await Promise.all([services.audit(), services.secrets(), services.guard()]);
    expect(a).toBe(b);
    expect(loads).toBe(1);
    expect(reservations).toBe(0);

    const { tenants } = await services.tenancy();
    const t = await tenants.create(createContext({ tenantId: PLATFORM_TENANT_ID, actor: SYSTEM_ACTOR }), {
      name: 'Acme',
      slug: 'acme',
    });
    expect(reservations).toBe(0); // audit events are signed, never encrypted
    const secrets = await services.secrets();
    await secrets.set({ tenantId: t.id, actor: SYSTEM_ACTOR }, { key: 'k', value: 'v' });
    expect(reservations).toBe(1);
    await services.close();
    await store.close();
  });

  it('concurrent requests keep their audit writes apart: each sink flushes only its own', async () => {
    const store = await openSqliteStore(join(tmp.dir, 'sinks.db'));
    const services = createServices({ store, masterKey: MASTER_KEY });
    const { tenants } = await services.tenancy();
    const t = await tenants.create(
      { tenantId: PLATFORM_TENANT_ID, actor: SYSTEM_ACTOR },
      {
        name: 'Sinks',
        slug: 'sinks',
      },
    );
    const rbac = await services.rbac();
    const [one, two] = [createAuditSink(), createAuditSink()];
    const tracked = new Map([
      [one, 0],
      [two, 0],
    ]);
    for (const sink of [one, two]) {
      const track = sink.track.bind(sink);
      sink.track = (write) => {
        tracked.set(sink, (tracked.get(sink) ?? 0) + 1);
        track(write);
      };
    }
    const nobody = createContext({
      tenantId: t.id,
      actor: { type: 'user', id: 'usr_01J0000000000000000000000A' },
    });
    await Promise.all([
      runWithAuditSink(one, async () => {
        await rbac.can(nobody, 'read', 'Workflow');
        await rbac.can(nobody, 'write', 'Workflow');
      }),
      runWithAuditSink(two, () => rbac.can(nobody, 'delete', 'Workflow')),
    ]);
    await Promise.all([one.flush(), two.flush()]);
    // each request's denials were tracked in its own sink, never in the other's (nor in a shared one)
    expect([tracked.get(one), tracked.get(two)]).toEqual([2, 1]);
    const log = await services.audit();
    expect((await log.query({ tenantId: t.id, action: 'policy.denied' })).events).toHaveLength(3);
    await store.close();
  });
});

describe('what the guard cannot throw', () => {
  it('a denied event that cannot be written is reported, and the caller still gets its refusal', async () => {
    const store = await openSqliteStore(join(tmp.dir, 'unwritable.db'));
    const first = createServices({ store, masterKey: MASTER_KEY });
    const { tenants } = await first.tenancy();
    const t = await tenants.create(
      { tenantId: PLATFORM_TENANT_ID, actor: SYSTEM_ACTOR },
      {
        name: 'Keys',
        slug: 'keys-co',
      },
    ); // the keyring is created under MASTER_KEY with the tenant's audit event
    // a second process with the wrong master key: its audit log cannot open, so no event can be signed
    const reported: string[] = [];
    const wrong = createServices({
      store,
      masterKey: `hex:${'33'.repeat(32)}`,
      onListenerError: (err) => reported.push(String((err as Error).message)),
    });
    const guard = await wrong.guard();
    const nobody = { tenantId: t.id, actor: { type: 'user' as const, id: 'usr_01J0000000000000000000000B' } };
    await expect(guard.authorize(nobody, { permission: 'secret.read' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    // the guard's own denied event (rbac's policy.denied observation fails and is reported too)
    expect(reported.filter((m) => /^guard denied-event: /.test(m))).toHaveLength(1);
    await store.close();
  });
});

describe('ax secret get, statement by statement (AX_SQL_TRACE=1)', () => {
  it('runs 15 statements as the operator: open 3, tenant 2, keyring 1, the read and its audit append 9', () => {
    const cwd = tempDir();
    try {
      const env = { AX_MASTER_KEY: MASTER_KEY };
      expect(ax(['init'], { cwd: cwd.dir, env }).code).toBe(0);
      expect(ax(['secret', 'set', 'k'], { cwd: cwd.dir, env, input: 'v' }).code).toBe(0);
      const r = ax(['secret', 'get', 'k'], { cwd: cwd.dir, env: { ...env, AX_SQL_TRACE: '1' } });
      expect(r.stdout).toBe('v\n');
      const statements = r.stderr.split('\n').filter((l) => l.startsWith('sql: '));
      // 38 before the services root; the target is 12 (see the closing note for the three left)
      expect(statements.length).toBeLessThanOrEqual(15);
      const writes = statements.filter((l) => /^sql: (INSERT|UPDATE|DELETE)/.test(l));
      expect(writes.map((l) => l.split(' ').slice(1, 4).join(' '))).toEqual([
        'INSERT INTO audit_events',
        'UPDATE audit_heads SET',
      ]); // a read writes nothing but its audit append
    } finally {
      cwd.remove();
    }
  });
});

describe('a refused request', () => {
  it('reserves no encryptions and prints nothing: the guard refuses before the keyring is used', () => {
    const cwd = tmp.dir;
    const env = { AX_MASTER_KEY: MASTER_KEY };
    const run = (args: string[], input?: string) => ax(args, { cwd, env, input });
    expect(run(['init']).code).toBe(0);
    expect(run(['security', 'user', 'create', 'v@x.test', '--tenant', 'default']).code).toBe(0);
    expect(run(['secret', 'set', 'k', '--tenant', 'default'], 'value-1').code).toBe(0);
    const db = new BetterSqlite3(join(cwd, '.ax', 'ax.db'), { readonly: true });
    const reserved = () =>
      (db.prepare('SELECT sum(reserved_encryptions) AS n FROM keyring_versions').get() as { n: number }).n;
    const before = reserved();
    const set = run(['secret', 'set', 'k', '--tenant', 'default', '--as', 'v@x.test'], 'value-2');
    const get = ax(['secret', 'get', 'k', '--tenant', 'default', '--as', 'v@x.test'], {
      cwd,
      env: { ...env, AX_SQL_TRACE: '1' },
    });
    expect([set.code, get.code]).toEqual([1, 1]);
    expect(get.stdout).toBe('');
    expect(reserved()).toBe(before);
    // nothing was read to decrypt: the refusal came before the secrets were touched
    expect(get.stderr).toMatch(/^sql: /m);
    expect(get.stderr).not.toMatch(/FROM secrets|secret_versions/);
    db.close();
  });
});
