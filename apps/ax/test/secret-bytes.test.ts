import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, tempDir } from './helpers.js';

const KEY = `base64:${Buffer.from(Uint8Array.from({ length: 32 }, (_, i) => (i * 31 + 7) & 0xff)).toString('base64')}`;
const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

interface BytesResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs the built CLI with binary standard input and output (the shared helper is text only). */
function setup(): { dir: string; run: (args: string[], input?: Uint8Array | string) => BytesResult } {
  const t = tempDir();
  dirs.push(t);
  const run = (args: string[], input: Uint8Array | string = '') => {
    const r = spawnSync(process.execPath, [CLI, ...args], {
      cwd: t.dir,
      env: { ...process.env, AX_DB: undefined, AX_MASTER_KEY: KEY, NODE_ENV: 'test' },
      input,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
  };
  expect(run(['init']).code).toBe(0);
  return { dir: t.dir, run };
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** 64 random bytes that are surely not UTF-8 and end with a newline, the two things that got lost. */
function binary(): Buffer {
  const b = randomBytes(64);
  b[0] = 0xff;
  b[63] = 0x0a;
  return b;
}

describe('ax secret: values are bytes', () => {
  it('set --file then get --out gives back exactly the file (same SHA-256), written 0600, nothing on stdout', () => {
    const { dir, run } = setup();
    const bytes = binary();
    writeFileSync(join(dir, 'f.bin'), bytes);
    const set = run(['secret', 'set', 'tls/key', '--file', 'f.bin']);
    expect(set.code, set.stderr).toBe(0);
    const get = run(['secret', 'get', 'tls/key', '--out', 'g.bin']);
    expect(get.code, get.stderr).toBe(0);
    const back = readFileSync(join(dir, 'g.bin'));
    expect(sha256(back)).toBe(sha256(bytes));
    expect(back.length).toBe(64);
    expect(statSync(join(dir, 'g.bin')).mode & 0o777).toBe(0o600);
    expect(get.stdout.toString('utf8')).toBe('wrote tls/key version 1 to g.bin (64 bytes)\n');
    expect(get.stdout.includes(bytes.subarray(1, 20))).toBe(false);
    const json = JSON.parse(run(['secret', 'get', 'tls/key', '--out', 'g.bin', '--json']).stdout.toString());
    expect(json).toEqual({
      key: 'tls/key',
      tenantId: expect.any(String),
      version: 1,
      out: 'g.bin',
      bytes: 64,
    });
  });

  it('get --out narrows an existing wider file to 0600', () => {
    const { dir, run } = setup();
    run(['secret', 'set', 'k', '--value', 'text'], '');
    writeFileSync(join(dir, 'open.txt'), 'old contents, longer than the value');
    chmodSync(join(dir, 'open.txt'), 0o644);
    expect(run(['secret', 'get', 'k', '--out', 'open.txt']).code).toBe(0);
    expect(readFileSync(join(dir, 'open.txt'), 'utf8')).toBe('text');
    expect(statSync(join(dir, 'open.txt')).mode & 0o777).toBe(0o600);
  });

  it('a non-UTF-8 value: plain get writes the raw bytes, --json gives base64 with "encoding", text stays "value"', () => {
    const { dir, run } = setup();
    const bytes = binary();
    writeFileSync(join(dir, 'f.bin'), bytes);
    run(['secret', 'set', 'bin', '--file', 'f.bin']);
    const plain = run(['secret', 'get', 'bin']);
    expect(plain.code).toBe(0);
    expect(sha256(plain.stdout)).toBe(sha256(bytes)); // nothing added: `> file` and pipes stay byte-exact
    const json = JSON.parse(run(['secret', 'get', 'bin', '--json']).stdout.toString());
    expect(json).toMatchObject({ key: 'bin', version: 1, encoding: 'base64' });
    expect(Buffer.from(json.value, 'base64').equals(bytes)).toBe(true);

    run(['secret', 'set', 'txt'], 'héllo\n');
    const text = JSON.parse(run(['secret', 'get', 'txt', '--json']).stdout.toString());
    expect(text).toEqual({ key: 'txt', tenantId: expect.any(String), version: 1, value: 'héllo' });
    expect(run(['secret', 'get', 'txt']).stdout.toString()).toBe('héllo\n');
    expect(run(['secret', 'get', 'txt', '--raw']).stdout.toString()).toBe('héllo');
  });

  it('invalid UTF-8 on standard input is stored as given, never as U+FFFD', () => {
    const { dir, run } = setup();
    const bytes = Buffer.from([0x76, 0x61, 0x6c, 0xff, 0xfe]); // printf 'val\xff\xfe'
    expect(run(['secret', 'set', 'k'], bytes).code).toBe(0);
    expect(run(['secret', 'get', 'k', '--out', 'out.bin']).code).toBe(0);
    expect(readFileSync(join(dir, 'out.bin')).equals(bytes)).toBe(true);
    const json = JSON.parse(run(['secret', 'get', 'k', '--json']).stdout.toString());
    expect(json).toMatchObject({ value: bytes.toString('base64'), encoding: 'base64' });
  });

  it('standard input: one trailing \\n or \\r\\n is stripped; --raw keeps every byte', () => {
    const { dir, run } = setup();
    const value = (key: string) => JSON.parse(run(['secret', 'get', key, '--json']).stdout.toString()).value;
    run(['secret', 'set', 'lf'], 'a\n');
    run(['secret', 'set', 'crlf'], 'a\r\n');
    run(['secret', 'set', 'two'], 'a\n\n');
    run(['secret', 'set', 'raw', '--raw'], 'a\r\n');
    expect([value('lf'), value('crlf'), value('two'), value('raw')]).toEqual(['a', 'a', 'a\n', 'a\r\n']);
    const bytes = binary();
    expect(run(['secret', 'set', 'rawbin', '--raw'], bytes).code).toBe(0);
    expect(sha256(run(['secret', 'get', 'rawbin']).stdout)).toBe(sha256(bytes));
    // --file is byte-exact whatever its last byte
    writeFileSync(join(dir, 'nl.txt'), 'a\n');
    expect(run(['secret', 'set', 'f', '--file', 'nl.txt']).code).toBe(0);
    expect(value('f')).toBe('a\n');
  });

  it('set --help states the newline rule', () => {
    const { run } = setup();
    const help = run(['secret', 'set', '--help']).stdout.toString();
    expect(help).toMatch(/one trailing newline \(\\n or \\r\\n.*\) is stripped, unless --raw/);
    expect(help).toMatch(/--file is always byte-exact/);
  });

  it('a missing --file is NOT_FOUND (exit 1), a directory is VALIDATION (exit 2), never INTERNAL', () => {
    const { dir, run } = setup();
    const missing = run(['secret', 'set', 'k', '--file', 'nope.bin']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error \[NOT_FOUND\]: --file nope.bin: no such file/);
    mkdirSync(join(dir, 'adir'));
    const isDir = run(['secret', 'set', 'k', '--file', 'adir']);
    expect(isDir.code).toBe(2);
    expect(isDir.stderr).toMatch(/^error \[VALIDATION\]: --file adir is a directory/);
    const both = run(['secret', 'set', 'k', '--file', 'adir', '--value', 'v']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/error \[VALIDATION\]: give the value one way/);
    const outDir = run(['secret', 'get', 'k', '--out', 'adir']);
    expect(outDir.code).toBe(1); // no secret k yet: NOT_FOUND before any file is touched
    run(['secret', 'set', 'k', '--value', 'v']);
    expect(run(['secret', 'get', 'k', '--out', 'adir']).stderr).toMatch(
      /^error \[VALIDATION\]: --out adir is a directory/,
    );
  });
});
