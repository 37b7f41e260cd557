import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The bundled CLI, as users run it (package.json `bin`).
export const CLI = join(import.meta.dirname, '..', 'dist', 'bundle', 'cli.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `ax` CLI in a child process, like a user would. */
export function ax(
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {},
): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, AX_DB: undefined, ...opts.env },
    input: opts.input ?? '',
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts `ax` in the background (for `serve`). */
export function axSpawn(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, AX_DB: undefined, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function tempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'ax-app-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A CLI session in its own temp folder: `run` (any exit), `json` (must exit 0, parses stdout). Call
 * `remove()` in afterAll.
 */
export function cliSession(env: NodeJS.ProcessEnv = {}) {
  const tmp = tempDir();
  const run = (args: string[], input?: string) => ax(args, { cwd: tmp.dir, env, input });
  const json = (args: string[], input?: string) => {
    const r = run([...args, '--json'], input);
    if (r.code !== 0) throw new Error(`ax ${args.join(' ')}: ${r.code} ${r.stderr}`);
    return JSON.parse(r.stdout);
  };
  return { cwd: tmp.dir, run, json, remove: tmp.remove };
}
