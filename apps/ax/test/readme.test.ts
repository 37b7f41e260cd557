import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it, vi } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const file = join(here, '.readme-example.generated.ts');
afterEach(() => rmSync(file, { force: true }));

it('the README example (the services root and the guard) runs as written', async () => {
  const readme = readFileSync(join(here, '..', 'README.md'), 'utf8');
  const code = /## How the app composes the packages[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(code).toBeDefined();
  writeFileSync(file, code!.replaceAll("from 'ax'", "from '../src/index.js'"));
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    await import(file);
    expect(log.mock.calls.map((c) => c[0])).toEqual(['ran', 1, true]);
  } finally {
    log.mockRestore();
  }
});
