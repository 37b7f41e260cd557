import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');

describe('README', () => {
  it('the Example runs as written (against the built package) and prints what its comments say', async () => {
    const section = readme.slice(readme.indexOf('## Example'));
    const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    expect(code).toBeDefined();
    // Inside the package, so that `@ax/guard` resolves to this package (its dist) and the rest to its dependencies.
    const file = fileURLToPath(new URL(`./.readme-example-${process.pid}.ts`, import.meta.url));
    writeFileSync(file, code!);
    try {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', file]);
      expect(stdout).toMatch(/ran: true/);
      expect(stdout).toMatch(/lease: 'lse_/);
      expect(stdout.trim().split('\n').at(-1)).toBe('1');
    } finally {
      rmSync(file, { force: true });
    }
  });
});
