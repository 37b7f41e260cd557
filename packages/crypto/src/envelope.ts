import { CryptoError } from '@ax/core';

/** Every ciphertext string starts with this: product, format version 1, then `k<key version>:`. */
export const ENVELOPE_PREFIX = 'ax:v1:k';
const PREFIX_LEN = ENVELOPE_PREFIX.length;
const COLON = 58;
const MAX_VERSION_DIGITS = 9;

const B64URL_VALUE = new Int8Array(128).fill(-1);
for (const [i, c] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'].entries()) {
  B64URL_VALUE[c.charCodeAt(0)] = i;
}

/** The string before the payload for `version`, e.g. `ax:v1:k3:`. */
export function envelopePrefix(version: number): string {
  return `${ENVELOPE_PREFIX}${version}:`;
}

function unknownFormat(): CryptoError {
  return new CryptoError('unknown ciphertext format', {
    details: { reason: 'format' },
  });
}

/**
 * Reads the key version of an `ax:v1:k<n>:<payload>` string and returns it with the payload offset.
 * Throws {@link CryptoError} for anything else. The version has no leading zeros, so each ciphertext has
 * exactly one spelling.
 */
export function parseEnvelopeHeader(text: string): {
  version: number;
  payloadAt: number;
} {
  if (!text.startsWith(ENVELOPE_PREFIX)) throw unknownFormat();
  let version = 0;
  let i = PREFIX_LEN;
  const end = Math.min(text.length, PREFIX_LEN + MAX_VERSION_DIGITS + 1);
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === COLON) break;
    const d = c - 48;
    if (d < 0 || d > 9 || (d === 0 && i === PREFIX_LEN)) throw unknownFormat();
    version = version * 10 + d;
  }
  if (i === PREFIX_LEN || i === end || text.charCodeAt(i) !== COLON) throw unknownFormat();
  return { version, payloadAt: i + 1 };
}

// Decoding into a reused buffer avoids an allocation per decrypt (most of base64 decoding's cost for
// payloads over Node's 4 KiB pool). Safe because decryption is synchronous and consumes it at once.
const SCRATCH_BYTES = 16 * 1024;
const scratch = Buffer.allocUnsafeSlow(SCRATCH_BYTES);

/**
 * Strict base64url decode of `text` from `start`: unpadded, alphabet `A–Z a–z 0–9 - _` only, unused
 * trailing bits zero. Node's decoder skips invalid characters and accepts `+`/`/`; without these checks two
 * strings could decode to the same bytes.
 *
 * Payloads up to 16 KiB are decoded into a shared scratch buffer: the result is only valid until the next
 * call, so callers must use it synchronously (decrypt does) and never keep it.
 */
export function decodePayload(text: string, start: number): Buffer {
  const n = text.length - start;
  const rem = n & 3;
  if (rem === 1) throw unknownFormat();
  const expected = (n >> 2) * 3 + (rem === 0 ? 0 : rem - 1);
  const body = start === 0 ? text : text.slice(start);
  let bytes: Buffer;
  if (expected <= SCRATCH_BYTES) {
    const written = scratch.write(body, 0, 'base64url');
    if (written !== expected) throw unknownFormat();
    bytes = scratch.subarray(0, written);
  } else {
    bytes = Buffer.from(body, 'base64url');
    if (bytes.byteLength !== expected) throw unknownFormat();
  }
  if (text.indexOf('+', start) !== -1 || text.indexOf('/', start) !== -1) throw unknownFormat();
  if (rem !== 0) {
    const last = text.charCodeAt(text.length - 1);
    const value = last < 128 ? (B64URL_VALUE[last] ?? -1) : -1;
    if (value < 0 || (value & (rem === 2 ? 0x0f : 0x03)) !== 0) throw unknownFormat();
  }
  return bytes;
}
