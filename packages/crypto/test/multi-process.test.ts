import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { aadOf, Keyring } from '../src/index.js';
import { sqliteStore, TEST_MASTER_KEY } from './helpers.js';

const run = promisify(execFile);
const child = join(import.meta.dirname, 'fixtures', 'encrypt-child.ts');

describe('several processes on one keyring', () => {
  it('reserve encryption blocks atomically: the stored count never under-counts', async () => {
    const db = await sqliteStore();
    try {
      const keyring = await Keyring.open({
        store: db.store.keyring,
        masterKey: TEST_MASTER_KEY,
        env: {},
        reserveBlockSize: 7,
      });
      const env = { ...process.env, AX_MASTER_KEY: TEST_MASTER_KEY, NODE_ENV: 'test' };
      const times = 150;
      const procs = Array.from({ length: 3 }, () =>
        run(process.execPath, ['--import', 'tsx', child, db.file, String(times), '7'], { env }),
      );
      for (let i = 0; i < times; i++) await keyring.encryptAsync(`parent ${i}`, aadOf('parent', i));
      await Promise.all(procs);
      const count = (await keyring.status()).versions[0]!.encryptions;
      const performed = 4 * times;
      expect(count).toBeGreaterThanOrEqual(performed);
      // Each process abandons at most its current and its prefetched block.
      expect(count).toBeLessThanOrEqual(performed + 4 * 2 * 7 + 4 * 7);
    } finally {
      await db.cleanup();
    }
  }, 60_000);
});
