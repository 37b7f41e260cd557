import { once } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ax, axSpawn, tempDir } from './helpers.js';

const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});
const env = {
  AX_MASTER_KEY: `base64:${Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 37 + 11) % 256)).toString('base64')}`,
};

function setup(): string {
  const t = tempDir();
  dirs.push(t);
  expect(ax(['init'], { cwd: t.dir, env }).code).toBe(0);
  return t.dir;
}
const run = (cwd: string, args: string[]) => ax(args, { cwd, env });
const json = (cwd: string, args: string[]) => {
  const r = run(cwd, [...args, '--json']);
  return { ...r, body: r.stdout ? JSON.parse(r.stdout) : null };
};

describe('ax audit', () => {
  it('verify reports ok on a real log, then names the seq and says modified after a sqlite3-style edit', () => {
    const cwd = setup();
    for (let i = 0; i < 3; i++) expect(run(cwd, ['audit', 'verify', '--tenant', 'default']).code).toBe(0);
    const ok = json(cwd, ['audit', 'verify', '--tenant', 'default']);
    expect(ok.code).toBe(0);
    expect(ok.body).toMatchObject({ ok: true, count: 4 }); // tenant.create from init + 3 audit.verify
    const raw = new BetterSqlite3(join(cwd, '.ax', 'ax.db'));
    expect(() => raw.prepare("UPDATE audit_events SET outcome = 'failure' WHERE seq = 2").run()).toThrow(
      /append-only/,
    );
    raw.exec('DROP TRIGGER audit_events_no_update');
    raw.prepare("UPDATE audit_events SET outcome = 'failure' WHERE seq = 2").run();
    raw.close();
    const bad = run(cwd, ['audit', 'verify', '--tenant', 'default']);
    expect(bad.code).toBe(3);
    expect(bad.stdout).toMatch(/seq 2 modified/);
    expect(json(cwd, ['audit', 'verify', '--tenant', 'default']).body).toMatchObject({
      ok: false,
      seq: 2,
      kind: 'modified',
    });
  });

  it('checkpoint --out makes a cut tail detectable with verify --checkpoint', () => {
    const cwd = setup();
    for (let i = 0; i < 4; i++) run(cwd, ['audit', 'verify', '--tenant', 'default']);
    expect(run(cwd, ['audit', 'checkpoint', '--tenant', 'default', '--out', 'cp.json']).code).toBe(0);
    const cp = JSON.parse(readFileSync(join(cwd, 'cp.json'), 'utf8'));
    expect(cp.seq).toBe(5);
    const raw = new BetterSqlite3(join(cwd, '.ax', 'ax.db'));
    raw.exec('DROP TRIGGER audit_events_no_delete; DROP TRIGGER audit_heads_forward_only');
    raw.exec('DELETE FROM audit_events WHERE seq > 2');
    raw.exec('UPDATE audit_heads SET seq = 2, hash = (SELECT hash FROM audit_events WHERE seq = 2)');
    raw.close();
    const r = json(cwd, ['audit', 'verify', '--tenant', 'default', '--checkpoint', 'cp.json']);
    expect(r.code).toBe(3);
    expect(r.body).toMatchObject({ ok: false, kind: 'truncated', seq: 3 });
  });

  it('query filters, export + verify-export (and a tampered export fails), compliance, prune', () => {
    const cwd = setup();
    for (let i = 0; i < 3; i++) run(cwd, ['audit', 'verify', '--tenant', 'default']);
    const q = json(cwd, ['audit', 'query', '--tenant', 'default', '--action', 'audit.*', '--limit', '2']);
    expect(q.code).toBe(0);
    expect(q.body.events).toHaveLength(2);
    expect(q.body.nextCursor).toBeTruthy();
    expect(json(cwd, ['audit', 'query', '--tenant', 'default', '--outcome', 'denied']).body.events).toEqual(
      [],
    );
    expect(run(cwd, ['audit', 'query']).code).toBe(2);
    expect(run(cwd, ['security', 'user', 'create', 'x@example.test', '--tenant', 'default']).code).toBe(0);
    const across = run(cwd, ['audit', 'query', '--all-tenants', '--as', 'x@example.test']);
    expect(across.code).toBe(1);
    expect(across.stderr).toMatch(/^error \[FORBIDDEN\]/);

    for (const format of ['jsonl', 'csv']) {
      const out = `log.${format}`;
      const e = json(cwd, ['audit', 'export', '--tenant', 'default', '--format', format, '--out', out]);
      expect(e.code).toBe(0);
      expect(e.body.manifest.count).toBeGreaterThanOrEqual(3);
      expect(json(cwd, ['audit', 'verify-export', out]).body).toMatchObject({ ok: true });
      const bytes = readFileSync(join(cwd, out));
      const mid = Math.floor(bytes.length / 2);
      bytes[mid] = bytes[mid]! ^ 1;
      writeFileSync(join(cwd, out), bytes);
      expect(run(cwd, ['audit', 'verify-export', out]).code).toBe(3);
    }

    const md = run(cwd, ['audit', 'compliance', '--tenant', 'default', '--since', '1d']);
    expect(md.code).toBe(0);
    expect(md.stdout).toContain('**Chain verified**');
    const rep = json(cwd, ['audit', 'compliance', '--tenant', 'default', '--since', '1d']);
    expect(rep.body.byAction['audit.verify']).toBe(3);

    const p = json(cwd, ['audit', 'prune', '--tenant', 'default', '--days', '30']);
    expect(p.code).toBe(0);
    expect(p.body).toMatchObject({ pruned: 0, days: 30 });
  });

  it('records tenancy changes with their actor, in the tenant’s chain, atomically with the change', () => {
    const cwd = setup();
    expect(run(cwd, ['tenant', 'create', 'Acme', '--slug', 'acme', '--plan', 'pro']).code).toBe(0);
    const admin = json(cwd, [
      'security',
      'user',
      'create',
      'ops@acme.test',
      '--tenant',
      'acme',
      '--role',
      'admin',
    ]);
    // suspending is a platform action: the tenant's own admin is refused (and cannot lock its tenant out)
    const refused = run(cwd, ['tenant', 'suspend', 'acme', '--reason', 'unpaid', '--as', 'ops@acme.test']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error \[FORBIDDEN\]/m);
    expect(run(cwd, ['security', 'super-admin', 'grant', 'ops@acme.test']).code).toBe(0);
    expect(run(cwd, ['tenant', 'suspend', 'acme', '--reason', 'unpaid', '--as', 'ops@acme.test']).code).toBe(
      0,
    );
    const q = json(cwd, ['audit', 'query', '--tenant', 'acme', '--action', 'tenant.*']);
    expect(q.body.events.map((e: { action: string }) => e.action)).toEqual([
      'tenant.suspend',
      'tenant.create',
    ]);
    expect(q.body.events[1]).toMatchObject({ actor: { type: 'system' }, resourceType: 'tenant' });
    expect(q.body.events[0]).toMatchObject({
      actor: { type: 'user', id: admin.body.id },
      reason: 'unpaid',
    });
    // the refusal is in the platform chain, with the tenant admin as actor
    const denied = json(cwd, ['audit', 'query', '--all-tenants', '--action', 'tenant.suspend.denied']);
    expect(denied.body.events).toHaveLength(1);
    expect(denied.body.events[0]).toMatchObject({ actor: { id: admin.body.id }, outcome: 'denied' });
    expect(json(cwd, ['audit', 'verify', '--tenant', 'acme']).body).toMatchObject({ ok: true });
  });

  it('records secret writes and reads (never the value), rbac changes, and denied decisions', () => {
    const cwd = setup();
    const MARKER = 'value-marker-9c1d7e';
    expect(ax(['secret', 'set', 'db-url'], { cwd, env, input: MARKER }).code).toBe(0);
    expect(run(cwd, ['secret', 'get', 'db-url']).stdout).toContain(MARKER);
    expect(run(cwd, ['security', 'user', 'create', 'bob@example.test', '--tenant', 'default']).code).toBe(0);
    expect(
      run(cwd, ['security', 'user', 'assign', 'bob@example.test', 'developer', '--tenant', 'default']).code,
    ).toBe(0);
    // bob is a viewer: assigning roles is denied, and the denial is recorded with him as actor
    const denied = run(cwd, [
      'security',
      'user',
      'assign',
      'bob@example.test',
      'admin',
      '--tenant',
      'default',
      '--as',
      'bob@example.test',
    ]);
    expect(denied.code).not.toBe(0);
    const events = json(cwd, ['audit', 'query', '--tenant', 'default', '--limit', '100']).body.events as {
      action: string;
      outcome: string;
      resource: string | null;
      actor: { id: string };
    }[];
    const actions = events.map((e) => e.action);
    for (const a of [
      'secret.create',
      'secret.read',
      'user.create',
      'role.assign',
      'policy.denied',
      'command.run',
    ]) {
      expect(actions).toContain(a);
    }
    expect(events.find((e) => e.action === 'secret.read')?.resource).toBe('db-url');
    expect(events.find((e) => e.action === 'role.assign')?.resource).toMatch(/^usr_/);
    const deny = events.find((e) => e.action === 'policy.denied');
    expect(deny?.outcome).toBe('denied');
    expect(deny?.actor.id).toMatch(/^usr_/);
    expect(events.find((e) => e.action === 'command.run')).toMatchObject({ outcome: 'denied' });
    expect(JSON.stringify(events)).not.toContain(MARKER);
    expect(json(cwd, ['audit', 'verify', '--tenant', 'default']).body).toMatchObject({ ok: true });
  });

  it('records the --as user as the actor of audit commands', () => {
    const cwd = setup();
    const auditor = json(cwd, [
      'security',
      'user',
      'create',
      'auditor@example.test',
      '--tenant',
      'default',
      '--role',
      'auditor',
    ]).body.id;
    run(cwd, ['audit', 'verify', '--tenant', 'default', '--as', 'auditor@example.test']);
    const q = json(cwd, ['audit', 'query', '--tenant', 'default', '--actor', auditor]);
    const actions = q.body.events.map((e: { action: string }) => e.action);
    expect(actions).toEqual(['command.run', 'audit.verify']);
    expect(q.body.events[0]).toMatchObject({
      actor: { type: 'user', id: auditor },
      outcome: 'success',
      resource: 'audit verify',
      resourceType: 'command',
    });
    // a failing command run --as is recorded with outcome failure
    expect(
      run(cwd, ['audit', 'verify', '--tenant', 'default', '--as', 'auditor@example.test', '--from', '0'])
        .code,
    ).toBe(2);
    const failed = json(cwd, [
      'audit',
      'query',
      '--tenant',
      'default',
      '--action',
      'command.run',
      '--limit',
      '1',
    ]);
    expect(failed.body.events[0]).toMatchObject({ outcome: 'failure', reason: 'VALIDATION' });
  });

  it('ax serve --checkpoint-every signs checkpoints per tenant into --checkpoint-out, and stops cleanly', async () => {
    const cwd = setup();
    run(cwd, ['audit', 'verify', '--tenant', 'default']);
    const srv = axSpawn(
      ['serve', '--port', '0', '--checkpoint-every', '0.002', '--checkpoint-out', 'cps.jsonl'],
      {
        cwd,
        env,
      },
    );
    try {
      const file = join(cwd, 'cps.jsonl');
      for (let i = 0; i < 500 && !(existsSync(file) && readFileSync(file, 'utf8').includes('\n')); i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const first = JSON.parse(readFileSync(file, 'utf8').split('\n')[0]!);
      expect(first).toMatchObject({ seq: 2 }); // tenant.create + audit.verify
      writeFileSync(join(cwd, 'cp.json'), JSON.stringify(first));
      expect(
        json(cwd, ['audit', 'verify', '--tenant', 'default', '--checkpoint', 'cp.json']).body,
      ).toMatchObject({
        ok: true,
      });
    } finally {
      srv.kill('SIGTERM');
      const [code] = await once(srv, 'exit');
      expect(code).toBe(0);
    }
  });
});
