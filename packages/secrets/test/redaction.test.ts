import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { isAxError } from '@ax/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SecretEvent } from '../src/index.js';
import { onEverySecretEvent, withSecrets } from './helpers.js';

const captured: string[] = [];
const onWarning = (w: Error) => captured.push(`${w.name}: ${w.message}`);

function record(value: unknown): void {
  if (value instanceof Error) {
    captured.push(value.message, String(value.stack), JSON.stringify(value), inspect(value, { depth: 8 }));
    if (isAxError(value)) captured.push(JSON.stringify(value.toJSON()), JSON.stringify(value.details));
    if (value.cause) record(value.cause);
  } else {
    captured.push(
      typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value)),
      inspect(value, { depth: 8 }),
    );
  }
}

async function failing(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    record(err);
    return;
  }
  throw new Error('expected a failure');
}

describe('a marker value never leaks', () => {
  beforeEach(() => {
    captured.length = 0;
    process.on('warning', onWarning);
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) =>
        captured.push(args.map(String).join(' ')),
      );
    }
  });
  afterEach(() => {
    process.off('warning', onWarning);
    vi.restoreAllMocks();
  });

  it('into errors, events, logs, or the database file', () =>
    withSecrets(async ({ secrets, keyring, store, scopeA, scopeB, file }) => {
      const marker = `MARKER-${randomBytes(12).toString('hex')}`;
      const events: SecretEvent[] = [];
      onEverySecretEvent(secrets, (e) => events.push(e));

      await secrets.set(scopeA, { key: 'marked', value: marker });
      await secrets.set(scopeA, { key: 'marked', value: `${marker}-v2` });
      await secrets.set(scopeA, { key: 'bytes', value: Buffer.from(marker) });
      expect(await secrets.get(scopeA, { key: 'marked', version: 1 })).toBe(marker);
      await secrets.getMany(scopeA, { keys: ['marked', 'bytes'] });
      await secrets.rotate(scopeA, { key: 'bytes', value: `${marker}-rotated` });

      // Every failure path that has the value at hand.
      await failing(secrets.set(scopeA, { key: 'marked', value: marker, cas: 1 }));
      await failing(secrets.set(scopeA, { key: 'marked', value: `${marker}${'x'.repeat(70_000)}` }));
      await failing(secrets.set(scopeA, { key: `bad key ${marker}`.slice(0, 20), value: marker }));
      await failing(
        secrets.set({ tenantId: '', actor: { type: 'user', id: 'u' } }, { key: 'k', value: marker }),
      );
      await failing(secrets.get(scopeB, { key: 'marked' }));
      await failing(secrets.rotate(scopeB, { key: 'missing', value: marker }));
      const aad = Buffer.from('aad');
      const ct = keyring.encrypt(marker, aad);
      try {
        keyring.decrypt(ct, Buffer.from('other'));
      } catch (err) {
        record(err);
      }
      // Tamper with the stored ciphertext and read it.
      store.db
        .prepare(
          `UPDATE secret_versions SET ciphertext = substr(ciphertext, 1, 20)
             || CASE substr(ciphertext, 21, 1) WHEN 'A' THEN 'B' ELSE 'A' END || substr(ciphertext, 22)
           WHERE key = 'marked'`,
        )
        .run();
      await failing(secrets.get(scopeA, { key: 'marked' }));
      await keyring.rotate();
      const result = await secrets.rewrapAll();
      record(result);
      expect(result.failed).toBeGreaterThan(0);

      record(events);
      record(await secrets.list(scopeA));
      record(await secrets.versions(scopeA, { key: 'bytes' }));
      record(secrets);
      record(keyring);
      record(await keyring.status());

      const haystack = captured.join('\n');
      expect(haystack.length).toBeGreaterThan(1000);
      expect(events.length).toBeGreaterThan(5);
      expect(haystack).not.toContain(marker);
      expect(haystack).not.toContain(Buffer.from(marker).toString('base64'));

      // The database file, its WAL and shared memory, byte for byte.
      store.db.pragma('wal_checkpoint(PASSIVE)');
      for (const path of [file, `${file}-wal`, `${file}-shm`]) {
        if (!existsSync(path)) continue;
        const bytes = readFileSync(path);
        expect(bytes.includes(Buffer.from(marker)), path).toBe(false);
        expect(bytes.includes(Buffer.from(marker, 'utf16le')), path).toBe(false);
        expect(bytes.includes(Buffer.from(Buffer.from(marker).toString('base64'))), path).toBe(false);
        expect(bytes.includes(Buffer.from('MARKER-')), path).toBe(false);
      }
      // ...while the keys and tenants it should contain are there (the scan reads real data).
      expect(
        readFileSync(file).includes(Buffer.from('marked')) ||
          readFileSync(`${file}-wal`).includes(Buffer.from('marked')),
      ).toBe(true);
    }));
});
