import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../src/program.js';
import { tempDir } from './helpers.js';

const KEY = `base64:${Buffer.from(Uint8Array.from({ length: 32 }, (_, i) => (i * 31 + 5) & 0xff)).toString('base64')}`;
const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

function sink(isTTY: boolean): Writable & { text: string; isTTY: boolean } {
  const w = new Writable({
    write(chunk, _enc, cb) {
      w.text += chunk.toString();
      cb();
    },
  }) as Writable & { text: string; isTTY: boolean };
  w.text = '';
  w.isTTY = isTTY;
  return w;
}

async function run(dir: string, args: string[], opts: { tty?: boolean; input?: string } = {}) {
  const stdout = sink(Boolean(opts.tty));
  const stderr = sink(Boolean(opts.tty));
  const stdin = new PassThrough();
  stdin.end(opts.input ?? '');
  const code = await runCli(['--db', join(dir, 'ax.db'), ...args], {
    env: { AX_MASTER_KEY: KEY, NODE_ENV: 'test' },
    cwd: dir,
    stdout,
    stderr,
    stdin,
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

describe('ax keys rewrap progress (in process)', () => {
  it('draws a progress bar on a terminal and stays quiet when piped or with --json', async () => {
    const t = tempDir();
    dirs.push(t);
    expect((await run(t.dir, ['init'])).code).toBe(0);
    for (let i = 0; i < 6; i++)
      expect((await run(t.dir, ['secret', 'set', `k${i}`], { input: `v${i}` })).code).toBe(0);
    await run(t.dir, ['keys', 'rotate']);
    const tty = await run(t.dir, ['keys', 'rewrap', '--batch', '2'], { tty: true });
    expect(tty.code).toBe(0);
    expect(tty.stderr).toContain('\rrewrap [##########....................] 2/6');
    expect(tty.stderr).toContain('\rrewrap [##############################] 6/6\n');
    await run(t.dir, ['keys', 'rotate']);
    const json = await run(t.dir, ['keys', 'rewrap', '--json'], { tty: true });
    expect(json.stderr).not.toContain('rewrap [');
    expect(JSON.parse(json.stdout)).toMatchObject({ rewrapped: 6, completed: true, primaryVersion: 3 });
  });

  it('min-decryption warns about secrets it strands, and is reversible', async () => {
    const t = tempDir();
    dirs.push(t);
    await run(t.dir, ['init']);
    await run(t.dir, ['secret', 'set', 'k'], { input: 'old' });
    await run(t.dir, ['keys', 'rotate']);
    const raise = await run(t.dir, ['keys', 'min-decryption', '2']);
    expect(raise.code).toBe(0);
    expect(raise.stderr).toMatch(/1 secret versions are below v2/);
    const refused = await run(t.dir, ['secret', 'get', 'k']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /error \[CRYPTO\]: key version 1 is below the minimum decryption version 2/,
    );
    expect((await run(t.dir, ['keys', 'min-decryption', '1'])).code).toBe(0);
    expect((await run(t.dir, ['secret', 'get', 'k'])).stdout).toBe('old\n');
  });
});
