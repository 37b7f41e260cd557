import { once } from 'node:events';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ax, axSpawn, tempDir } from './helpers.js';

const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});
function dir(): string {
  const t = tempDir();
  dirs.push(t);
  return t.dir;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  srv.close();
  return port;
}

describe('ax init', () => {
  it('creates ./.ax/ax.db by default with the default tenant, and is harmless to rerun', () => {
    const cwd = dir();
    const first = ax(['init', '--json'], { cwd });
    expect(first.code).toBe(0);
    const a = JSON.parse(first.stdout);
    expect(a.created).toBe(true);
    expect(a.defaultTenant.slug).toBe('default');
    expect(a.defaultTenant.id).toMatch(/^tnt_/);
    expect(existsSync(join(cwd, '.ax', 'ax.db'))).toBe(true);
    const again = JSON.parse(ax(['init', '--json'], { cwd }).stdout);
    expect(again.created).toBe(false);
    expect(again.defaultTenant.id).toBe(a.defaultTenant.id);
  });

  it('takes the path from --db before AX_DB', () => {
    const cwd = dir();
    expect(ax(['init'], { cwd, env: { AX_DB: join(cwd, 'env.db') } }).code).toBe(0);
    expect(existsSync(join(cwd, 'env.db'))).toBe(true);
    expect(
      ax(['init', '--db', 'flag.db'], {
        cwd,
        env: { AX_DB: join(cwd, 'env.db') },
      }).code,
    ).toBe(0);
    expect(existsSync(join(cwd, 'flag.db'))).toBe(true);
  });
});

describe('exit codes and errors', () => {
  it('exits 2 on a usage error, printing error [USAGE]', () => {
    const r = ax(['no-such-command'], { cwd: dir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error \[USAGE\]: unknown command/);
    expect(ax(['serve', '--port'], { cwd: dir() }).code).toBe(2);
  });

  it('--json prints exactly one JSON document on stdout', () => {
    const cwd = dir();
    const r = ax(['migrate', '--json', '--db', 'm.db'], { cwd });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.applied[0]).toEqual({ id: 1, name: 'core' });
    expect(doc.version).toBe(doc.applied.at(-1).id);
  });
});

describe('ax migrate', () => {
  it('fails with error [INTEGRITY] when an applied migration no longer matches, leaving the database unchanged', () => {
    const cwd = dir();
    const db = join(cwd, 'x.db');
    expect(ax(['init', '--db', db], { cwd }).code).toBe(0);
    // Simulate an edited migration: the recorded checksum no longer matches the shipped SQL.
    const raw = new BetterSqlite3(db);
    raw.prepare("UPDATE ax_migrations SET checksum = 'edited' WHERE id = 1").run();
    raw.pragma('wal_checkpoint(TRUNCATE)');
    raw.close();
    const before = readFileSync(db);
    const r = ax(['migrate', '--db', db], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error \[INTEGRITY\]: migration 1 \(core\) was edited after it was applied/);
    expect(r.stderr).not.toMatch(/at .*\.js/); // no stack trace without --debug
    expect(readFileSync(db).equals(before)).toBe(true);
    expect(ax(['migrate', '--db', db, '--debug'], { cwd }).stderr).toMatch(/at /);
  });
});

describe('ax serve', () => {
  it('answers /healthz, /readyz; /readyz turns 503 when the file is deleted; SIGTERM shuts down cleanly', async () => {
    const cwd = dir();
    const db = join(cwd, 'x.db');
    expect(ax(['init', '--db', db], { cwd }).code).toBe(0);
    const port = await freePort();
    const child = axSpawn(['serve', '--db', db, '--port', String(port)], {
      cwd,
    });
    let logs = '';
    child.stdout!.on('data', (d) => {
      logs += d;
    });
    try {
      const base = `http://127.0.0.1:${port}`;
      let health: Response | undefined;
      for (let i = 0; i < 100 && !health; i++) {
        health = await fetch(`${base}/healthz`).catch(() => undefined);
        if (!health) await new Promise((r) => setTimeout(r, 100));
      }
      expect(health?.status).toBe(200);
      expect(await health?.json()).toEqual({ status: 'ok' });
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      rmSync(db);
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({
        status: 'unavailable',
        code: 'INTEGRITY',
      });
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      expect(code).toBe(0);
      const lines = logs
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines.some((l) => l.msg === 'shutting down')).toBe(true);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('refuses to serve a database that was never migrated', () => {
    const cwd = dir();
    const raw = new BetterSqlite3(join(cwd, 'empty.db'));
    raw.close();
    const r = ax(['serve', '--db', 'empty.db', '--port', '0'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error \[INTEGRITY\]: database needs/);
  });
});

describe('a new operator’s first commands', () => {
  it('ax --version prints the version and exits 0', () => {
    const r = ax(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('a mistyped database path is NOT_FOUND, never a new empty database', () => {
    const t = tempDir();
    try {
      const missing = join(t.dir, 'typo', 'x.db');
      const r = ax(['tenant', 'list'], { env: { AX_DB: missing } });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^error \[NOT_FOUND\]: no database at .*typo.*; run `ax init`/m);
      expect(r.stdout).toBe('');
      expect(existsSync(join(t.dir, 'typo'))).toBe(false);
      expect(ax(['init'], { env: { AX_DB: missing } }).code).toBe(0);
      expect(ax(['tenant', 'list'], { env: { AX_DB: missing } }).code).toBe(0);
    } finally {
      t.remove();
    }
  });
});

describe('--json errors', () => {
  it('are one JSON object on stderr, with the exit codes unchanged', () => {
    const t = tempDir();
    try {
      expect(ax(['init'], { cwd: t.dir }).code).toBe(0);
      const missing = ax(['tenant', 'show', 'nope', '--json'], { cwd: t.dir });
      expect(missing.code).toBe(1);
      expect(missing.stdout).toBe('');
      expect(JSON.parse(missing.stderr)).toEqual({
        error: { code: 'NOT_FOUND', message: 'tenant nope not found' },
      });
      const usage = ax(['tenant', 'nope', '--json'], { cwd: t.dir });
      expect(usage.code).toBe(2);
      expect(JSON.parse(usage.stderr)).toMatchObject({ error: { code: 'USAGE' } });
      // without --json, errors stay text
      expect(ax(['tenant', 'show', 'nope'], { cwd: t.dir }).stderr).toMatch(/^error \[NOT_FOUND\]: /);
    } finally {
      t.remove();
    }
  });
});
