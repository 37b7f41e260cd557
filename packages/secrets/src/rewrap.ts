import { type CiphertextSwap, CryptoError, parseInput, type SecretCursor, type SecretStore } from '@ax/core';
import type { Keyring } from '@ax/crypto';
import { z } from 'zod';
import { secretAad } from './aad.js';

/** Progress of {@link rewrapSecrets}, reported after each batch. */
export interface RewrapProgress {
  /** Rows seen so far. */
  done: number;
  /** Rows that were not on the primary version when the run started. */
  total: number;
  rewrapped: number;
  failed: number;
}

/** Options for a rewrap run. */
export interface RewrapOptions {
  /** Rows per batch; each batch is swapped in one transaction (default 200). */
  batchSize?: number;
  onProgress?: (progress: RewrapProgress) => void;
  /** Stops after the current batch. */
  signal?: AbortSignal;
}

/** A row rewrap could not decrypt; reported without any value. */
export interface RewrapFailure {
  tenantId: string;
  key: string;
  version: number;
  reason: string;
}

/** What a rewrap run did. */
export interface RewrapResult extends RewrapProgress {
  primaryVersion: number;
  /** Rows changed by someone else between read and swap (they are re-checked by the next run). */
  conflicts: number;
  failures: RewrapFailure[];
  /** False when stopped by `signal` before the end. */
  completed: boolean;
}

const optionsSchema = z.object({
  batchSize: z.number().int().min(1).max(10_000).default(200),
  onProgress: z.function().optional(),
  signal: z.instanceof(AbortSignal).optional(),
});

/** Rewraps every version row not on the primary key version. See {@link SecretsManager.rewrapAll}. */
export async function rewrapSecrets(
  store: SecretStore,
  keyring: Keyring,
  options: RewrapOptions = {},
): Promise<RewrapResult> {
  const o = parseInput(optionsSchema, options, 'rewrap options');
  const onProgress = options.onProgress;
  await keyring.refresh();
  const primaryVersion = keyring.primaryVersion;
  const total = (await store.countByKeyVersion())
    .filter((c) => c.keyVersion !== primaryVersion)
    .reduce((n, c) => n + c.count, 0);
  const result: RewrapResult = {
    primaryVersion,
    done: 0,
    total,
    rewrapped: 0,
    failed: 0,
    conflicts: 0,
    failures: [],
    completed: false,
  };
  let cursor: SecretCursor | null = null;
  for (;;) {
    if (o.signal?.aborted) return result;
    const rows = await store.listForRewrap(primaryVersion, cursor, o.batchSize);
    if (rows.length === 0) break;
    const swaps: CiphertextSwap[] = [];
    for (const row of rows) {
      try {
        const to = await keyring.rewrap(row.ciphertext, secretAad(row.tenantId, row.key, row.version));
        swaps.push({ ...row, from: row.ciphertext, to, keyVersion: keyring.versionOf(to) });
      } catch (err) {
        if (!(err instanceof CryptoError)) throw err;
        result.failed++;
        result.failures.push({
          tenantId: row.tenantId,
          key: row.key,
          version: row.version,
          reason: String(err.details.reason ?? err.message),
        });
      }
    }
    const applied = await store.swapCiphertexts(swaps);
    result.rewrapped += applied;
    result.conflicts += swaps.length - applied;
    result.done += rows.length;
    const last = rows[rows.length - 1]!;
    cursor = { tenantId: last.tenantId, key: last.key, version: last.version };
    onProgress?.({ done: result.done, total, rewrapped: result.rewrapped, failed: result.failed });
  }
  result.completed = true;
  return result;
}
