import { type CipherKey, createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';
import { CryptoError } from '@ax/core';

/** AES-256-GCM nonce length in bytes (96 bits, the only length GCM handles without GHASH-ing the nonce). */
export const NONCE_BYTES = 12;
/** Full-length GCM tag in bytes; shorter tags are never accepted. */
export const TAG_BYTES = 16;
/** AES-256 key length in bytes. */
export const KEY_BYTES = 32;

const ALGORITHM = 'aes-256-gcm';
const POOL_BYTES = NONCE_BYTES * 512;

// Nonces come from a pool filled by the CSPRNG and consumed exactly once each: one randomFillSync per 512
// encryptions instead of one per call. Bytes are never reused; the pool is refilled when drained.
let pool = Buffer.allocUnsafeSlow(POOL_BYTES);
let poolOffset = POOL_BYTES;

/** Writes a fresh random 96-bit nonce into `out` at `offset`. */
export function writeNonce(out: Buffer, offset: number): void {
  if (poolOffset === POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  pool.copy(out, offset, poolOffset, poolOffset + NONCE_BYTES);
  poolOffset += NONCE_BYTES;
}

/** @internal Test hook: replaces the pool (e.g. to prove a refill happens). */
export function resetNoncePool(): void {
  pool = Buffer.allocUnsafeSlow(POOL_BYTES);
  poolOffset = POOL_BYTES;
}

/**
 * AES-256-GCM seal: returns `nonce | ciphertext | tag` in one buffer, after `headerBytes` bytes left for
 * the caller to fill (so a binary envelope needs no second copy).
 */
export function seal(key: CipherKey, plaintext: Uint8Array, aad: Uint8Array, headerBytes = 0): Buffer {
  const out = Buffer.allocUnsafe(headerBytes + NONCE_BYTES + plaintext.byteLength + TAG_BYTES);
  writeNonce(out, headerBytes);
  const cipher = createCipheriv(ALGORITHM, key, out.subarray(headerBytes, headerBytes + NONCE_BYTES), {
    authTagLength: TAG_BYTES,
  });
  cipher.setAAD(aad);
  const body = cipher.update(plaintext);
  body.copy(out, headerBytes + NONCE_BYTES);
  const tail = cipher.final(); // empty for GCM, but part of the contract
  let at = headerBytes + NONCE_BYTES + body.byteLength;
  if (tail.byteLength > 0) at += tail.copy(out, at);
  cipher.getAuthTag().copy(out, at);
  return out;
}

/**
 * AES-256-GCM open of `nonce | ciphertext | tag`. Throws {@link CryptoError} (never returns plaintext) when
 * the input is too short, or the tag does not verify under `key` and `aad`.
 */
export function open(key: CipherKey, sealed: Uint8Array, aad: Uint8Array): Buffer {
  const len = sealed.byteLength;
  if (len < NONCE_BYTES + TAG_BYTES) throw new CryptoError('ciphertext is truncated');
  const bytes = Buffer.isBuffer(sealed) ? sealed : Buffer.from(sealed.buffer, sealed.byteOffset, len);
  const decipher = createDecipheriv(ALGORITHM, key, bytes.subarray(0, NONCE_BYTES), {
    authTagLength: TAG_BYTES,
  });
  decipher.setAAD(aad);
  decipher.setAuthTag(bytes.subarray(len - TAG_BYTES));
  const body = decipher.update(bytes.subarray(NONCE_BYTES, len - TAG_BYTES));
  try {
    decipher.final();
  } catch {
    body.fill(0);
    throw new CryptoError('ciphertext failed authentication (wrong key, associated data, or tampered)');
  }
  return body;
}
