import { createHmac, createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';
import { aadOf } from './aad.js';

// HKDF `info` strings are canonical length-prefixed encodings, so no (name, purpose, version) triple can
// collide with another.
function info(keyring: string, use: string, purpose: string, version: number): Buffer {
  return aadOf('ax-keyring/1', keyring, use, purpose, version);
}

function hkdf(ikm: Uint8Array, salt: Uint8Array, infoBytes: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, infoBytes, 32));
}

/**
 * The AES-256-GCM key of one version: HKDF-SHA256(ikm, salt, info(name, "aead", version)). Returned as
 * bytes, not a KeyObject: node:crypto sets up a cipher from a Buffer key measurably faster, and the input
 * key material it derives from lives in the same process memory anyway.
 */
export function deriveAeadKey(ikm: Uint8Array, salt: Uint8Array, keyring: string, version: number): Buffer {
  return hkdf(ikm, salt, info(keyring, 'aead', '', version));
}

/** The HMAC-SHA256 key of one purpose and version. */
export function deriveMacKey(
  ikm: Uint8Array,
  salt: Uint8Array,
  keyring: string,
  purpose: string,
  version: number,
): KeyObject {
  const bytes = hkdf(ikm, salt, info(keyring, 'mac', purpose, version));
  const key = createSecretKey(bytes);
  bytes.fill(0);
  return key;
}

/** A MAC proving a master key is the one the keyring was created with (stored; reveals nothing). */
export function masterKeyVerifier(ikm: Uint8Array, salt: Uint8Array, keyring: string): Buffer {
  const key = hkdf(ikm, salt, info(keyring, 'verifier', '', 0));
  const mac = createHmac('sha256', key).update('ax keyring master key verifier').digest();
  key.fill(0);
  return mac;
}

/** The key of one stream: unique per (version, random 32-byte stream id), so frame nonces can count up. */
export function deriveStreamKey(
  ikm: Uint8Array,
  salt: Uint8Array,
  keyring: string,
  version: number,
  streamId: Uint8Array,
): KeyObject {
  const bytes = hkdf(ikm, salt, aadOf('ax-keyring/1', keyring, 'stream', streamId, version));
  const key = createSecretKey(bytes);
  bytes.fill(0);
  return key;
}
