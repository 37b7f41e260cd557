import type { Clock, KeyringStore, KeyVersionStatus, MasterKeyKdf } from '@ax/core';
import { z } from 'zod';
import type { ScryptParams } from './master-key.js';
import { DEFAULT_FRAME_BYTES, MAX_FRAME_BYTES } from './stream.js';

/** The hard ceiling on encryptions per key version with random 96-bit nonces (NIST SP 800-38D). */
export const MAX_ENCRYPTIONS_PER_VERSION = 2 ** 32;

/** Options for {@link Keyring.open}. */
export interface KeyringOptions {
  /** Where the keyring's state lives (salt, kdf parameters, versions, counters). Never holds key material. */
  store: KeyringStore;
  /** Explicit master key; else `AX_MASTER_KEY`. See {@link resolveMasterKey}. */
  masterKey?: string | Uint8Array;
  /** Environment for `AX_MASTER_KEY` / `NODE_ENV` (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** Warning sink (default `process.emitWarning`). Warnings never contain the key. */
  onWarning?: (message: string) => void;
  /** Keyring name (default `default`). */
  name?: string;
  clock?: Clock;
  /** Encryptions allowed per version before it refuses (default and maximum 2^32). */
  maxEncryptionsPerVersion?: number;
  /**
   * Encryptions reserved in the store per round trip (default 65,536). A crash or exit abandons the rest of
   * the block, over-counting by at most two blocks: short-lived processes (a CLI run) should set it small.
   */
  reserveBlockSize?: number;
  /**
   * Reserve a block of encryptions when the keyring opens (default true), so the first `encrypt` is
   * synchronous. False defers the reservation to the first `encryptAsync`/`reserve`: a process that only
   * decrypts or signs (a read, a denied request) then writes nothing to the keyring store.
   */
  reserveOnOpen?: boolean;
  /** scrypt parameters for a new keyring whose master key is a passphrase (default N=2^17, r=8, p=1). */
  scrypt?: ScryptParams;
  /**
   * Reload versions and pointers from the store this often (ms), so a long-running process picks up a
   * rotation or policy change made by another process (`ax keys rotate`). Off by default; the timer is
   * unref'd and stopped by {@link Keyring.close}.
   */
  autoRefreshMs?: number;
}

export const optionsSchema = z.object({
  store: z.custom<KeyringStore>((v) => typeof v === 'object' && v !== null && 'reserveEncryptions' in v, {
    message: 'expected a KeyringStore',
  }),
  masterKey: z.union([z.string(), z.instanceof(Uint8Array)]).optional(),
  // process.env is not a plain object, so a record schema would refuse it.
  env: z
    .custom<Record<string, string | undefined>>(
      (v) => typeof v === 'object' && v !== null,
      'expected an env object',
    )
    .optional(),
  onWarning: z.function().optional(),
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/)
    .default('default'),
  clock: z.custom<Clock>((v) => typeof v === 'object' && v !== null && 'now' in v).optional(),
  maxEncryptionsPerVersion: z
    .number()
    .int()
    .min(1)
    .max(MAX_ENCRYPTIONS_PER_VERSION)
    .default(MAX_ENCRYPTIONS_PER_VERSION),
  reserveBlockSize: z
    .number()
    .int()
    .min(1)
    .max(2 ** 24)
    .default(65_536),
  autoRefreshMs: z.number().int().min(100).max(86_400_000).optional(),
  reserveOnOpen: z.boolean().default(true),
  scrypt: z
    .object({
      N: z
        .number()
        .int()
        .min(2 ** 14)
        .max(2 ** 22),
      r: z.number().int().min(1).max(32),
      p: z.number().int().min(1).max(16),
    })
    .refine((s) => (s.N & (s.N - 1)) === 0, 'N must be a power of two')
    .optional(),
});

export const streamOptionsSchema = z.object({
  frameBytes: z.number().int().min(1).max(MAX_FRAME_BYTES).default(DEFAULT_FRAME_BYTES),
});
export const aadSchema = z.instanceof(Uint8Array);

/** Options for {@link Keyring.encryptStream}. */
export interface StreamOptions {
  /** Plaintext bytes per frame (default 64 KiB, at most 4 MiB). Memory use is about two frames. */
  frameBytes?: number;
}

export const purposeSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._:-]{0,63}$/, 'lowercase letters, digits and . _ : -');
export const versionSchema = z.number().int().min(1);
export const decryptInput = z.object({
  ciphertext: z.string(),
  aad: z.instanceof(Uint8Array),
});
export const encryptInput = z.object({
  plaintext: z.union([z.string(), z.instanceof(Uint8Array)]),
  aad: z.instanceof(Uint8Array),
});

/** One version as {@link Keyring.status} reports it. */
export interface KeyVersionStatusReport {
  version: number;
  status: KeyVersionStatus;
  primary: boolean;
  createdAt: number;
  /** Encryptions reserved so far (an upper bound on those performed). */
  encryptions: number;
  limit: number;
}

/** What {@link Keyring.status} returns; safe to print. */
export interface KeyringStatus {
  name: string;
  kdf: MasterKeyKdf['kind'];
  primaryVersion: number;
  minDecryptionVersion: number;
  minEncryptionVersion: number;
  insecureDevKey: boolean;
  versions: KeyVersionStatusReport[];
}
