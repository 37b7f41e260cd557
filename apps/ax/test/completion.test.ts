import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ax, tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

// A shell's binary, or null when it is not installed on this machine.
function shell(name: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

// The areas as `ax --help` lists them: the script must cover what the CLI has, whatever is added later.
function areas(): string[] {
  const help = ax(['--help']).stdout;
  const section = help.slice(help.indexOf('Commands:'));
  return [...section.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]!).filter((n) => n !== 'help');
}

function script(sh: string): string {
  const r = ax(['completion', sh]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

describe('ax completion', () => {
  it('lists every area of the CLI (a missing database does not matter)', () => {
    const found = areas();
    expect(found).toEqual(
      expect.arrayContaining(['tenant', 'secret', 'audit', 'security', 'keys', 'policy', 'completion']),
    );
    for (const sh of ['bash', 'zsh', 'fish']) {
      const r = ax(['completion', sh], { env: { AX_DB: join(tmp.dir, 'missing', 'x.db') } });
      expect(r.code, r.stderr).toBe(0);
      for (const area of found) expect(r.stdout, `${sh}: ${area}`).toMatch(new RegExp(`\\b${area}\\b`));
    }
  });

  it('bash: parses, and completes areas, nested subcommands and options', () => {
    const file = join(tmp.dir, 'ax.bash');
    writeFileSync(file, script('bash'));
    expect(spawnSync('bash', ['-n', file], { encoding: 'utf8' }).status).toBe(0);

    // what bash offers for a command line (the last word is the one being typed)
    const complete = (...words: string[]): string[] => {
      const r = spawnSync(
        'bash',
        [
          '-c',
          `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _ax; printf '%s\\n' "\${COMPREPLY[@]}"`,
          'complete',
          file,
          ...words,
        ],
        { encoding: 'utf8' },
      );
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.split('\n').filter(Boolean);
    };
    expect(complete('ax', '')).toEqual(expect.arrayContaining(areas()));
    expect(complete('ax', 'ten')).toEqual(['tenant']);
    expect(complete('ax', 'tenant', '')).toContain('list');
    expect(complete('ax', '--db', 'x.db', 'tenant', '')).toContain('list');
    expect(complete('ax', 'security', 'user', '')).toEqual(expect.arrayContaining(['create', 'assign']));
    expect(complete('ax', 'secret', 'set', 'k', '--t')).toEqual(['--tenant']);
    expect(complete('ax', 'tenant', 'list', '--')).toEqual(
      expect.arrayContaining(['--limit', '--store', '--db', '--json', '--as', '--debug']),
    );
    expect(complete('ax', '--db', '')).toEqual([]); // a value: bash falls back to file names
  });

  it('zsh: names nested subcommands and options', () => {
    const text = script('zsh');
    expect(text.startsWith('#compdef ax')).toBe(true);
    expect(text).toMatch(/\('ax tenant'\)\n\s+subs=\([^\n]*'list:/);
    expect(text).toMatch(/\('ax secret set'\)\n[^\n]*\n\s+opts=\([^\n]*'--tenant:/);
    for (const g of ['--store', '--db', '--json', '--as', '--debug']) expect(text).toContain(`'${g}:`);
    const zsh = shell('zsh');
    if (!zsh) return console.log('zsh is not installed: its syntax check is skipped');
    const file = join(tmp.dir, '_ax');
    writeFileSync(file, text);
    expect(spawnSync(zsh, ['-n', file], { encoding: 'utf8' }).status).toBe(0);
  });

  it('fish: names nested subcommands and options', () => {
    const text = script('fish');
    expect(text).toContain("complete -c ax -f -n '__ax_at \\'ax tenant\\'' -a list ");
    expect(text).toContain("complete -c ax -n '__ax_at \\'ax secret set\\'' -l tenant -r ");
    for (const g of ['store', 'db', 'json', 'as', 'debug']) expect(text).toContain(`complete -c ax -l ${g} `);
    const fish = shell('fish');
    if (!fish) return console.log('fish is not installed: its syntax check is skipped');
    const file = join(tmp.dir, 'ax.fish');
    writeFileSync(file, text);
    expect(spawnSync(fish, ['--no-execute', file], { encoding: 'utf8' }).status).toBe(0);
  });

  it('an unknown shell is a usage error', () => {
    const r = ax(['completion', 'tcsh']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('error [USAGE]');
  });
});
