import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { CryptoError } from '@ax/core';
import { describe, expect, it } from 'vitest';
import type { RewrapProgress } from '../src/index.js';
import { TEST_MASTER_KEY, withSecrets } from './helpers.js';

const child = join(import.meta.dirname, 'fixtures', 'rewrap-child.ts');

/** Starts the rewrap child and SIGKILLs it right after it reports `killAfter` batches. */
function rewrapAndKill(
  file: string,
  batch: number,
  killAfter: number,
): Promise<{ batches: number; signal: string | null }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', child, file, String(batch)], {
      env: { ...process.env, AX_MASTER_KEY: TEST_MASTER_KEY, NODE_ENV: 'test' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let batches = 0;
    let err = '';
    let buf = '';
    p.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith('{')) batches++;
        if (batches >= killAfter) p.kill('SIGKILL');
      }
    });
    p.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    p.on('error', reject);
    p.on('exit', (code, signal) => {
      if (signal === 'SIGKILL' || code === 0) resolve({ batches, signal });
      else reject(new Error(`child exited ${code}: ${err}`));
    });
  });
}

describe('rewrapAll', () => {
  it('re-encrypts every version under the new primary, in batches with progress', () =>
    withSecrets(async ({ secrets, keyring, scopeA, scopeB }) => {
      for (let i = 0; i < 25; i++)
        await secrets.set(i % 2 ? scopeA : scopeB, { key: `k${i % 7}`, value: `value-${i}` });
      const before = await secrets.keyUsage();
      expect(before).toEqual({ primaryVersion: 1, byKeyVersion: [{ keyVersion: 1, count: 25 }] });
      await keyring.rotate();
      const progress: RewrapProgress[] = [];
      const result = await secrets.rewrapAll({ batchSize: 10, onProgress: (p) => progress.push(p) });
      expect(result).toMatchObject({
        primaryVersion: 2,
        total: 25,
        done: 25,
        rewrapped: 25,
        failed: 0,
        completed: true,
      });
      expect(progress.map((p) => p.done)).toEqual([10, 20, 25]);
      expect(await secrets.keyUsage()).toEqual({
        primaryVersion: 2,
        byKeyVersion: [{ keyVersion: 2, count: 25 }],
      });
      await keyring.setMinDecryptionVersion(2);
      for (let i = 18; i < 25; i++)
        expect(await secrets.get(i % 2 ? scopeA : scopeB, { key: `k${i % 7}` })).toBe(`value-${i}`);
      expect((await secrets.rewrapAll()).total).toBe(0); // idempotent
    }));

  it('rotation matrix: v1 data, rotate, v2 data, raise the floor before and after rewrap', () =>
    withSecrets(async ({ secrets, keyring, scopeA }) => {
      await secrets.set(scopeA, { key: 'old', value: 'written-under-v1' });
      await keyring.rotate();
      await secrets.set(scopeA, { key: 'new', value: 'written-under-v2' });
      expect((await secrets.versions(scopeA, { key: 'old' }))[0]?.keyVersion).toBe(1);
      expect((await secrets.versions(scopeA, { key: 'new' }))[0]?.keyVersion).toBe(2);
      // Raising the floor before rewrapping strands v1 data: refused with CryptoError, recoverable.
      await keyring.setMinDecryptionVersion(2);
      await expect(secrets.get(scopeA, { key: 'old' })).rejects.toMatchObject({
        code: 'CRYPTO',
        details: { reason: 'below-min' },
      });
      const stuck = await secrets.rewrapAll();
      expect(stuck.failed).toBe(1);
      expect(stuck.failures).toEqual([expect.objectContaining({ key: 'old', reason: 'below-min' })]);
      expect(JSON.stringify(stuck)).not.toContain('written-under');
      // Lower it again (archived, not destroyed), rewrap, raise it: everything reads.
      await keyring.setMinDecryptionVersion(1);
      expect(await secrets.get(scopeA, { key: 'old' })).toBe('written-under-v1');
      expect((await secrets.rewrapAll()).rewrapped).toBe(1);
      await keyring.setMinDecryptionVersion(2);
      expect(await secrets.get(scopeA, { key: 'old' })).toBe('written-under-v1');
      expect(await secrets.get(scopeA, { key: 'new' })).toBe('written-under-v2');
    }));

  it('stops after the current batch when aborted, and a rerun finishes', () =>
    withSecrets(async ({ secrets, keyring, scopeA }) => {
      for (let i = 0; i < 30; i++) await secrets.set(scopeA, { key: `k${i}`, value: `v${i}` });
      await keyring.rotate();
      const ac = new AbortController();
      const first = await secrets.rewrapAll({
        batchSize: 10,
        signal: ac.signal,
        onProgress: () => ac.abort(),
      });
      expect(first).toMatchObject({ completed: false, rewrapped: 10 });
      const second = await secrets.rewrapAll({ batchSize: 10 });
      expect(second).toMatchObject({ completed: true, total: 20, rewrapped: 20 });
    }));

  it('does not clobber a value written while it runs', () =>
    withSecrets(async ({ secrets, keyring, scopeA, store }) => {
      await secrets.set(scopeA, { key: 'k', value: 'v1' });
      await keyring.rotate();
      const rows = await store.secrets.listForRewrap(2, null, 10);
      const swapped = await store.secrets.swapCiphertexts([
        { ...rows[0]!, from: 'ax:v1:k1:stale', to: 'ax:v1:k2:x', keyVersion: 2 },
      ]);
      expect(swapped).toBe(0);
      expect(await secrets.get(scopeA, { key: 'k' })).toBe('v1');
    }));

  it(
    'killed with SIGKILL mid-run, every secret still decrypts, and a rerun completes',
    () =>
      withSecrets(async ({ secrets, keyring, scopeA, scopeB, file, store }) => {
        const n = 600;
        for (let i = 0; i < n; i++) {
          await secrets.set(i % 3 ? scopeA : scopeB, {
            key: `key-${String(i).padStart(4, '0')}`,
            value: `value-${i}`,
          });
        }
        await keyring.rotate();
        let killedMidRun = 0;
        for (const killAfter of [1, 4, 9]) {
          const { signal } = await rewrapAndKill(file, 20, killAfter);
          const usage = await store.secrets.countByKeyVersion();
          if (signal === 'SIGKILL' && usage.length === 2) killedMidRun++;
          // After each kill: every secret decrypts, whatever mix of versions is stored.
          for (let i = 0; i < n; i += 7) {
            expect(
              await secrets.get(i % 3 ? scopeA : scopeB, { key: `key-${String(i).padStart(4, '0')}` }),
            ).toBe(`value-${i}`);
          }
        }
        expect(killedMidRun).toBeGreaterThan(0);
        const rest = await secrets.rewrapAll({ batchSize: 50 });
        expect(rest.completed).toBe(true);
        expect(await store.secrets.countByKeyVersion()).toEqual([{ keyVersion: 2, count: n }]);
        await keyring.setMinDecryptionVersion(2);
        for (let i = 0; i < n; i++) {
          expect(
            await secrets.get(i % 3 ? scopeA : scopeB, { key: `key-${String(i).padStart(4, '0')}` }),
          ).toBe(`value-${i}`);
        }
        await expect(keyring.setMinDecryptionVersion(3)).rejects.toBeInstanceOf(CryptoError);
      }),
    120_000,
  );
});
