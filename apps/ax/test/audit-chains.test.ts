import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ax, tempDir } from './helpers.js';

const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});
const env = {
  AX_MASTER_KEY: `base64:${Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 41 + 7) % 256)).toString('base64')}`,
};

function folder(): string {
  const t = tempDir();
  dirs.push(t);
  return t.dir;
}
function setup(): string {
  const cwd = folder();
  expect(ax(['init'], { cwd, env }).code).toBe(0);
  return cwd;
}
const run = (cwd: string, args: string[]) => ax(args, { cwd, env });
const json = (cwd: string, args: string[]) => {
  const r = run(cwd, [...args, '--json']);
  return { ...r, body: r.stdout ? JSON.parse(r.stdout) : null };
};

/** Two tenants, a tenant admin of acme, and a refusal of that admin recorded in the platform chain. */
function installation(): string {
  const cwd = setup();
  expect(run(cwd, ['tenant', 'create', 'Acme', '--slug', 'acme']).code).toBe(0);
  expect(
    run(cwd, ['security', 'user', 'create', 'ops@acme.test', '--tenant', 'acme', '--role', 'admin']).code,
  ).toBe(0);
  expect(run(cwd, ['tenant', 'suspend', 'acme', '--reason', 'x', '--as', 'ops@acme.test']).code).toBe(1);
  return cwd;
}

describe('ax audit verify-export', () => {
  it('names the edited line: an edit on line 5 reports line 5', () => {
    const cwd = setup();
    for (let i = 0; i < 6; i++) expect(run(cwd, ['audit', 'verify', '--tenant', 'default']).code).toBe(0);
    expect(run(cwd, ['audit', 'export', '--tenant', 'default', '--out', 'log.jsonl']).code).toBe(0);
    const lines = readFileSync(join(cwd, 'log.jsonl'), 'utf8').split('\n');
    expect(JSON.parse(lines[4]!).event.seq).toBe(5);
    lines[4] = lines[4]!.replace('"outcome":"success"', '"outcome":"failure"');
    writeFileSync(join(cwd, 'log.jsonl'), lines.join('\n'));
    const r = run(cwd, ['audit', 'verify-export', 'log.jsonl']);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^FAILED: modified at seq 5 \(line 5\)/);
    expect(json(cwd, ['audit', 'verify-export', 'log.jsonl']).body).toMatchObject({
      ok: false,
      seq: 5,
      line: 5,
    });
  });

  it('where no database exists, creates nothing and says it needs the installation’s key', () => {
    const cwd = setup();
    expect(run(cwd, ['audit', 'export', '--tenant', 'default', '--out', 'log.jsonl']).code).toBe(0);
    const elsewhere = folder();
    copyFileSync(join(cwd, 'log.jsonl'), join(elsewhere, 'log.jsonl'));
    copyFileSync(join(cwd, 'log.jsonl.manifest.json'), join(elsewhere, 'log.jsonl.manifest.json'));
    const r = run(elsewhere, ['audit', 'verify-export', 'log.jsonl']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error \[NOT_FOUND\]: no database at .*installation's key/m);
    expect(r.stderr).not.toMatch(/signature does not verify|ax init/);
    expect(r.stdout).toBe('');
    expect(readdirSync(elsewhere).sort()).toEqual(['log.jsonl', 'log.jsonl.manifest.json']);
    // an empty folder, too
    const empty = folder();
    expect(run(empty, ['audit', 'verify-export', 'x.jsonl']).stderr).toMatch(/^error \[NOT_FOUND\]/m);
    expect(readdirSync(empty)).toEqual([]);
  });
});

describe('the platform chain', () => {
  it('verify|export|checkpoint|query --platform reach the installation-wide chain; --tenant platform says how', () => {
    const cwd = installation();
    const q = json(cwd, ['audit', 'query', '--platform']);
    expect(q.code).toBe(0);
    expect(q.body.events.map((e: { action: string }) => e.action)).toContain('tenant.suspend.denied');
    expect(q.body.events.every((e: { tenantId: string }) => e.tenantId === 'platform')).toBe(true);

    const v = json(cwd, ['audit', 'verify', '--platform']);
    expect(v.code).toBe(0);
    expect(v.body).toMatchObject({ ok: true });
    expect(v.body.count).toBeGreaterThanOrEqual(1);

    const cp = json(cwd, ['audit', 'checkpoint', '--platform', '--out', 'cp.json']);
    expect(cp.code).toBe(0);
    expect(cp.body).toMatchObject({ tenantId: 'platform' });
    expect(json(cwd, ['audit', 'verify', '--platform', '--checkpoint', 'cp.json']).body).toMatchObject({
      ok: true,
    });

    const e = json(cwd, ['audit', 'export', '--platform', '--out', 'p.jsonl']);
    expect(e.code).toBe(0);
    expect(e.body.manifest).toMatchObject({ tenantId: 'platform' });
    expect(json(cwd, ['audit', 'verify-export', 'p.jsonl']).body).toMatchObject({ ok: true });

    const byName = run(cwd, ['audit', 'verify', '--tenant', 'platform']);
    expect(byName.code).toBe(1);
    expect(byName.stderr).toMatch(/^error \[NOT_FOUND\]: .*--platform/m);
    expect(run(cwd, ['audit', 'verify', '--platform', '--tenant', 'acme']).code).toBe(2);
    expect(run(cwd, ['audit', 'export', '--out', 'x.jsonl']).code).toBe(2);
  });

  it('is installation-wide: a tenant admin is refused, a platform super-admin is not', () => {
    const cwd = installation();
    for (const args of [
      ['audit', 'verify', '--platform'],
      ['audit', 'query', '--platform'],
      ['audit', 'export', '--platform', '--out', 'p.jsonl'],
      ['audit', 'checkpoint', '--platform'],
      ['audit', 'verify', '--all'],
    ]) {
      const r = run(cwd, [...args, '--as', 'ops@acme.test']);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(/^error \[FORBIDDEN\]/m);
    }
    expect(run(cwd, ['security', 'super-admin', 'grant', 'ops@acme.test']).code).toBe(0);
    expect(run(cwd, ['audit', 'verify', '--platform', '--as', 'ops@acme.test']).code).toBe(0);
    expect(run(cwd, ['audit', 'verify', '--all', '--as', 'ops@acme.test']).code).toBe(0);
  });
});

describe('ax audit verify --all', () => {
  it('prints one row per chain, then names the broken one and exits 3', () => {
    const cwd = installation();
    const ok = run(cwd, ['audit', 'verify', '--all']);
    expect(ok.code).toBe(0);
    const rows = ok.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^TENANT\s+SLUG\s+EVENTS\s+STATUS$/);
    expect(rows.slice(1, -1)).toHaveLength(3); // default, acme, platform
    expect(rows.find((l) => /\sacme\s/.test(l))).toMatch(/\sok$/);
    expect(rows.find((l) => l.startsWith('platform'))).toMatch(/\sok$/);
    expect(rows.at(-1)).toBe('ok: 3 chains verified');

    const acme = json(cwd, ['tenant', 'show', 'acme']).body.id as string;
    const raw = new BetterSqlite3(join(cwd, '.ax', 'ax.db'));
    raw.exec('DROP TRIGGER audit_events_no_update');
    raw.prepare("UPDATE audit_events SET outcome = 'failure' WHERE tenant_id = ? AND seq = 1").run(acme);
    raw.close();

    const bad = run(cwd, ['audit', 'verify', '--all']);
    expect(bad.code).toBe(3);
    expect(bad.stdout).toMatch(/\sacme\s+0\s+FAILED: seq 1 modified/);
    expect(bad.stdout).toMatch(/\sdefault\s+\d+\s+ok$/m);
    expect(bad.stdout.trim().split('\n').at(-1)).toBe('FAILED: 1 of 3 chains broken');
    const doc = json(cwd, ['audit', 'verify', '--all']);
    expect(doc.code).toBe(3);
    expect(doc.body.ok).toBe(false);
    expect(doc.body.chains).toHaveLength(3);
    expect(doc.body.chains.find((c: { tenantId: string }) => c.tenantId === acme)).toMatchObject({
      slug: 'acme',
      ok: false,
      seq: 1,
      kind: 'modified',
    });
    expect(doc.body.chains.filter((c: { ok: boolean }) => c.ok)).toHaveLength(2);
    expect(run(cwd, ['audit', 'verify', '--all', '--tenant', 'acme']).code).toBe(2);
  });
});

describe('ax audit query --all-tenants', () => {
  it('shows a tenant column with each event’s tenant', () => {
    const cwd = installation();
    const r = run(cwd, ['audit', 'query', '--all-tenants', '--limit', '200']);
    expect(r.code).toBe(0);
    const [head, ...rows] = r.stdout.trim().split('\n');
    expect(head).toMatch(/^TENANT\s+SEQ\s+TIME/);
    const tenants = new Set(rows.map((l) => l.split(/\s+/)[0]));
    expect(tenants).toEqual(new Set(['default', 'acme', 'platform']));
    // one tenant's query keeps its columns
    expect(run(cwd, ['audit', 'query', '--tenant', 'acme']).stdout).toMatch(/^SEQ\s+TIME/);
  });
});
