import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ax, tempDir } from './helpers.js';

const KEY = `base64:${Buffer.from(Uint8Array.from({ length: 32 }, (_, i) => (i * 29 + 3) & 0xff)).toString('base64')}`;
const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

function setup(): {
  cwd: string;
  env: NodeJS.ProcessEnv;
  run: (args: string[], input?: string) => ReturnType<typeof ax>;
} {
  const t = tempDir();
  dirs.push(t);
  const env = { AX_MASTER_KEY: KEY, NODE_ENV: 'test' };
  const run = (args: string[], input?: string) => ax(args, { cwd: t.dir, env, input });
  expect(run(['init']).code).toBe(0);
  return { cwd: t.dir, env, run };
}

function dbBytes(cwd: string): Buffer {
  const base = join(cwd, '.ax', 'ax.db');
  return Buffer.concat([base, `${base}-wal`].filter(existsSync).map((p) => readFileSync(p)));
}

describe('ax secret', () => {
  it('set (stdin) and get round-trip, and the database file does not contain the value', () => {
    const { cwd, run } = setup();
    const marker = `sk_live_${Date.now()}_MARKER`;
    const set = run(['secret', 'set', 'stripe/key', '--tenant', 'default', '--json'], `${marker}\n`);
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ key: 'stripe/key', version: 1, created: true });
    expect(set.stdout + set.stderr).not.toContain(marker);
    const get = run(['secret', 'get', 'stripe/key', '--tenant', 'default']);
    expect(get).toMatchObject({ code: 0, stdout: `${marker}\n` });
    expect(JSON.parse(run(['secret', 'get', 'stripe/key', '--json']).stdout)).toMatchObject({
      value: marker,
      version: 1,
    });
    expect(dbBytes(cwd).includes(Buffer.from(marker))).toBe(false);
    expect(dbBytes(cwd).includes(Buffer.from('stripe/key'))).toBe(true);
  });

  it('--value works with a warning; list and versions show metadata only; rm deletes', () => {
    const { run } = setup();
    const v = run(['secret', 'set', 'db/password', '--value', 'hunter2-value']);
    expect(v.code).toBe(0);
    expect(v.stderr).toMatch(/warning: --value puts the secret in shell history/);
    run(['secret', 'set', 'db/password'], 'second-value');
    const list = run(['secret', 'list', '--json']);
    expect(JSON.parse(list.stdout).secrets).toEqual([
      expect.objectContaining({ key: 'db/password', currentVersion: 2 }),
    ]);
    expect(list.stdout).not.toMatch(/hunter2|second-value/);
    const versions = JSON.parse(run(['secret', 'versions', 'db/password', '--json']).stdout).versions;
    expect(versions.map((x: { version: number; current: boolean }) => [x.version, x.current])).toEqual([
      [1, false],
      [2, true],
    ]);
    expect(run(['secret', 'get', 'db/password', '--version', '1']).stdout).toBe('hunter2-value\n');
    expect(run(['secret', 'rotate', 'db/password']).stdout).toMatch(/rotated db\/password to version 3/);
    expect(run(['secret', 'get', 'db/password']).stdout).toMatch(/^[A-Za-z0-9_-]{43}\n$/);
    expect(run(['secret', 'rm', 'db/password']).stdout).toMatch(/deleted/);
    const gone = run(['secret', 'get', 'db/password']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^error \[NOT_FOUND\]: secret db\/password not found/);
  });

  it('refuses empty values, bad options and unknown tenants with the right exit codes', () => {
    const { run } = setup();
    expect(run(['secret', 'set', 'k'], '').code).toBe(2);
    expect(run(['secret', 'set', 'k', '--cas', 'x'], 'v').code).toBe(2);
    const t = run(['secret', 'set', 'k', '--tenant', 'nope'], 'v');
    expect(t.code).toBe(1);
    expect(t.stderr).toMatch(/error \[NOT_FOUND\]: tenant nope not found/);
    const cas = run(['secret', 'set', 'k', '--cas', '3'], 'v');
    expect(cas.code).toBe(1);
    expect(cas.stderr).toMatch(/error \[CONFLICT\]/);
  });

  it('in production refuses to run without a master key and says why', () => {
    const t = tempDir();
    dirs.push(t);
    expect(ax(['init'], { cwd: t.dir }).code).toBe(0);
    const r = ax(['secret', 'set', 'k'], {
      cwd: t.dir,
      env: { NODE_ENV: 'production', AX_MASTER_KEY: '' },
      input: 'v',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /error \[CRYPTO\]: master key refused: AX_MASTER_KEY is not set and NODE_ENV=production/,
    );
  });

  it('outside production works on a fresh machine with the dev key, with a warning', () => {
    const t = tempDir();
    dirs.push(t);
    ax(['init'], { cwd: t.dir });
    const r = ax(['secret', 'set', 'k'], {
      cwd: t.dir,
      env: { AX_MASTER_KEY: '', NODE_ENV: '' },
      input: 'v',
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/insecure development key/);
  });
});

describe('ax keys', () => {
  it('after rotate and rewrap, status shows every secret on the new version', () => {
    const { run } = setup();
    const tenantId = JSON.parse(run(['init', '--json']).stdout).defaultTenant.id;
    for (let i = 0; i < 5; i++)
      expect(run(['secret', 'set', `k${i}`, '--tenant', tenantId], `value-${i}`).code).toBe(0);
    const before = JSON.parse(run(['keys', 'status', '--json']).stdout);
    expect(before).toMatchObject({ primaryVersion: 1, secrets: { total: 5, onPrimary: 5 } });
    expect(JSON.parse(run(['keys', 'rotate', '--json']).stdout)).toEqual({ primaryVersion: 2 });
    const mid = JSON.parse(run(['keys', 'status', '--json']).stdout);
    expect(mid.secrets).toMatchObject({ total: 5, onPrimary: 0 });
    expect(run(['keys', 'status']).stdout).toMatch(
      /0 of 5 secret versions on the primary key: run `ax keys rewrap`/,
    );
    const rewrap = run(['keys', 'rewrap', '--batch', '2']);
    expect(rewrap.code).toBe(0);
    expect(rewrap.stdout).toMatch(/rewrapped 5 of 5 secret versions to v2/);
    expect(rewrap.stderr).not.toMatch(/\r|\[#/); // piped: no progress bar
    const after = JSON.parse(run(['keys', 'status', '--json']).stdout);
    expect(after).toMatchObject({
      primaryVersion: 2,
      secrets: { total: 5, onPrimary: 5, byKeyVersion: [{ keyVersion: 2, count: 5 }] },
    });
    expect(after.versions.map((v: { version: number; primary: boolean }) => [v.version, v.primary])).toEqual([
      [1, false],
      [2, true],
    ]);
    for (let i = 0; i < 5; i++) expect(run(['secret', 'get', `k${i}`]).stdout).toBe(`value-${i}\n`);
    expect(JSON.stringify(after)).not.toMatch(/value-|base64:/);
  });
});
