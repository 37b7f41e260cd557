import { createHmac, pbkdf2, timingSafeEqual } from 'node:crypto';
import { parseInput } from '@ax/core';
import { createRequire } from 'node:module';
import type { Algorithm } from '@node-rs/argon2';
import { z } from 'zod';

// The native binding is loaded on first use: a process that never hashes a password (most CLI commands)
// never pays for loading it.
type Argon2 = typeof import('@node-rs/argon2');
let binding: Argon2 | undefined;
function argon2(): Argon2 {
  binding ??= createRequire(import.meta.url)('@node-rs/argon2') as Argon2;
  return binding;
}

// `Algorithm` is a const enum in the binding's types; with isolated modules we pass its value.
const ARGON2ID = 2 as Algorithm;

/** Argon2id cost parameters. */
export interface Argon2Params {
  /** Memory in KiB (`m=`). */
  memoryCost: number;
  /** Passes (`t=`). */
  timeCost: number;
  /** Lanes (`p=`). */
  parallelism: number;
}

/** OWASP's Argon2id minimum: m=19 MiB (19456 KiB), t=2, p=1. Our default and the floor we accept. */
export const OWASP_ARGON2ID: Readonly<Argon2Params> = Object.freeze({
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
});

/** Options shared by hashing and verification. */
export interface PasswordOptions {
  /**
   * A server-side secret kept outside the database (env or a KMS). When set, the password is first
   * HMAC-SHA256'd with it and that digest (base64) is hashed, so a stolen database alone cannot be cracked. The same
   * pepper must be given to {@link verifyPassword}; changing it makes every peppered hash fail.
   */
  pepper?: string | Uint8Array;
}

/** Options for {@link hashPassword}. */
export interface HashPasswordOptions extends PasswordOptions, Partial<Argon2Params> {}

const MAX_PASSWORD_BYTES = 4096;
// The most work one hash may ask for, when hashing and when verifying (a stored string is input too): the
// same bounds on both sides, so every hash we make can be verified.
const MAX_ARGON2: Readonly<Argon2Params> = Object.freeze({
  memoryCost: 1024 * 1024,
  timeCost: 100,
  parallelism: 16,
});
const passwordSchema = z
  .string()
  .min(1, 'password is empty')
  .refine(
    (p) => Buffer.byteLength(p, 'utf8') <= MAX_PASSWORD_BYTES,
    `password longer than ${MAX_PASSWORD_BYTES} bytes`,
  );
const pepperSchema = z.union([
  z.string().min(16),
  z.instanceof(Uint8Array).refine((b) => b.byteLength >= 16),
]);
const hashOptionsSchema = z.object({
  pepper: pepperSchema.optional(),
  memoryCost: z
    .number()
    .int()
    .min(OWASP_ARGON2ID.memoryCost)
    .max(MAX_ARGON2.memoryCost)
    .default(OWASP_ARGON2ID.memoryCost),
  timeCost: z
    .number()
    .int()
    .min(OWASP_ARGON2ID.timeCost)
    .max(MAX_ARGON2.timeCost)
    .default(OWASP_ARGON2ID.timeCost),
  parallelism: z.number().int().min(1).max(MAX_ARGON2.parallelism).default(OWASP_ARGON2ID.parallelism),
});
const verifyOptionsSchema = z.object({ pepper: pepperSchema.optional() });

// The peppered input is base64(HMAC-SHA256(pepper, password)): text, because the Argon2 binding's verify
// only takes UTF-8 passwords.
function input(password: string, pepper: string | Uint8Array | undefined): string {
  if (pepper === undefined) return password;
  return createHmac('sha256', pepper).update(password, 'utf8').digest('base64');
}

/**
 * Hashes a password with Argon2id (default m=19456 KiB, t=2, p=1, 16-byte random salt, 32-byte output) and
 * returns the PHC string, e.g. `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`. Parameters below OWASP's
 * minimum are refused.
 */
export async function hashPassword(password: string, options: HashPasswordOptions = {}): Promise<string> {
  const pw = parseInput(passwordSchema, password, 'password');
  const o = parseInput(hashOptionsSchema, options, 'password options');
  return argon2().hash(input(pw, o.pepper), {
    algorithm: ARGON2ID,
    memoryCost: o.memoryCost,
    timeCost: o.timeCost,
    parallelism: o.parallelism,
  });
}

/** PBKDF2 iterations accepted when verifying imported hashes (the ceiling bounds the work an input can cause). */
export const PBKDF2_MIN_ITERATIONS = 1_000;
export const PBKDF2_MAX_ITERATIONS = 10_000_000;

interface Pbkdf2Hash {
  iterations: number;
  salt: Buffer;
  digest: Buffer;
}

// passlib's "adapted base64": standard alphabet with '.' for '+', no padding.
function ab64(text: string): Buffer | null {
  if (!/^[A-Za-z0-9./+]*$/.test(text)) return null;
  return Buffer.from(text.replaceAll('.', '+'), 'base64');
}

/**
 * Parses an imported PBKDF2-HMAC-SHA512 hash. Two spellings are accepted:
 * - PHC: `$pbkdf2-sha512$i=<iterations>$<salt>$<hash>` (standard base64, unpadded), as written by the
 *   `@phc/pbkdf2` family;
 * - passlib: `$pbkdf2-sha512$<iterations>$<salt>$<hash>` (adapted base64: `.` for `+`, unpadded), as
 *   written by Python's passlib.
 * The salt must be at least 8 bytes and the hash exactly 64 bytes (SHA-512's output), so a truncated stored
 * hash is refused rather than checked on fewer bytes.
 */
function parsePbkdf2(phc: string): Pbkdf2Hash | null {
  const m = /^\$pbkdf2-sha512\$(?:i=)?(\d{1,9})\$([A-Za-z0-9./+]+)\$([A-Za-z0-9./+]+)$/.exec(phc);
  if (!m) return null;
  const iterations = Number(m[1]);
  const salt = ab64(m[2]!);
  const digest = ab64(m[3]!);
  if (!salt || !digest || iterations < PBKDF2_MIN_ITERATIONS || iterations > PBKDF2_MAX_ITERATIONS)
    return null;
  if (salt.byteLength < 8 || digest.byteLength !== 64) return null;
  return { iterations, salt, digest };
}

function pbkdf2Async(password: string, h: Pbkdf2Hash): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(password, h.salt, h.iterations, h.digest.byteLength, 'sha512', (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/**
 * Checks `password` against a stored hash: an Argon2id PHC string from {@link hashPassword}, or an imported
 * PBKDF2-SHA512 hash (see the README for the formats). Returns false for a wrong password and for a hash it
 * cannot parse; it does not throw for those. Comparisons are constant-time.
 */
export async function verifyPassword(
  stored: string,
  password: string,
  options: PasswordOptions = {},
): Promise<boolean> {
  if (typeof stored !== 'string' || typeof password !== 'string') return false;
  if (password.length === 0 || Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) return false;
  const o = parseInput(verifyOptionsSchema, options, 'password options');
  const pw = input(password, o.pepper);
  if (stored.startsWith('$argon2id$')) {
    try {
      // Bound the work a stored string can demand (an imported or tampered hash with huge m=, t= or p=).
      const p = argon2().parseOptions(stored);
      if (
        p.memoryCost > MAX_ARGON2.memoryCost ||
        p.timeCost > MAX_ARGON2.timeCost ||
        p.parallelism > MAX_ARGON2.parallelism
      )
        return false;
      return await argon2().verify(stored, pw);
    } catch {
      return false;
    }
  }
  if (stored.startsWith('$pbkdf2-sha512$')) {
    const parsed = parsePbkdf2(stored);
    if (!parsed) return false;
    const derived = await pbkdf2Async(pw, parsed);
    return timingSafeEqual(derived, parsed.digest);
  }
  return false;
}

/**
 * True when a stored hash should be replaced (re-hash the password after a successful verify): it is not
 * Argon2id (e.g. imported PBKDF2), cannot be parsed, or its parameters are below `target` (default OWASP).
 */
export function needsRehash(stored: string, target: Partial<Argon2Params> = {}): boolean {
  const want = { ...OWASP_ARGON2ID, ...target };
  if (typeof stored !== 'string' || !stored.startsWith('$argon2id$')) return true;
  try {
    const p = argon2().parseOptions(stored);
    return (
      p.memoryCost < want.memoryCost ||
      p.timeCost < want.timeCost ||
      p.parallelism < want.parallelism ||
      p.outputLen < 32 ||
      p.saltLen < 16
    );
  } catch {
    return true;
  }
}
