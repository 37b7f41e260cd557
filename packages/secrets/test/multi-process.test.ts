import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Keyring } from '@ax/crypto';
import { describe, expect, it } from 'vitest';
import { SecretsManager } from '../src/index.js';
import { TEST_MASTER_KEY, withSecrets } from './helpers.js';

const run = promisify(execFile);
const child = join(import.meta.dirname, 'fixtures', 'writer-child.ts');

describe('several processes writing one secret', () => {
  it(
    'every write lands as its own version and every version decrypts',
    () =>
      withSecrets(async ({ store, scopeA, file }) => {
        const keyring = await Keyring.open({ store: store.keyring, masterKey: TEST_MASTER_KEY, env: {} });
        const secrets = new SecretsManager({ store, keyring, keepVersions: 1000 });
        const env = { ...process.env, AX_MASTER_KEY: TEST_MASTER_KEY, NODE_ENV: 'test' };
        const times = 40;
        await Promise.all([
          ...['a', 'b', 'c'].map((name) =>
            run(process.execPath, ['--import', 'tsx', child, file, scopeA.tenantId, name, String(times)], {
              env,
            }),
          ),
          (async () => {
            for (let i = 0; i < times; i++)
              await secrets.set(scopeA, { key: 'shared', value: `parent-${i}` });
          })(),
        ]);
        const versions = await secrets.versions(scopeA, { key: 'shared' });
        expect(versions.map((v) => v.version)).toEqual(Array.from({ length: 4 * times }, (_, i) => i + 1));
        const values = new Set<string>();
        for (const v of versions)
          values.add(await secrets.get(scopeA, { key: 'shared', version: v.version }));
        expect(values.size).toBe(4 * times);
        for (const name of ['a', 'b', 'c', 'parent']) expect(values.has(`${name}-${times - 1}`)).toBe(true);
      }),
    120_000,
  );
});
