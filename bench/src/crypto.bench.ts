import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { aadOf, Keyring, MemoryKeyringStore } from '@ax/crypto';
import type { BenchCase } from './harness.js';

const MASTER_KEY = `base64:${randomBytes(32).toString('base64')}`;

/**
 * AEAD overhead: `keyring.encrypt`/`decrypt` (self-describing `ax:v1:k1:` string envelope, canonical AAD
 * built once, key looked up by version) against raw node:crypto AES-256-GCM with a random 96-bit nonce, a
 * 16-byte tag and the same AAD bytes, producing nonce|ciphertext|tag in one buffer.
 */
export async function cryptoCases(): Promise<{ cases: BenchCase[]; cleanup(): Promise<void> }> {
  const keyring = await Keyring.open({ store: new MemoryKeyringStore(), masterKey: MASTER_KEY, env: {} });
  const rawKey = randomBytes(32);
  const aad = aadOf('tnt_01J0000000000000000000000', 'secrets', 'sec_01J0000000000000000000000', 'value', 1);

  const rawEncrypt = (pt: Buffer): Buffer => {
    const nonce = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', rawKey, nonce, { authTagLength: 16 });
    c.setAAD(aad);
    const body = c.update(pt);
    c.final();
    return Buffer.concat([nonce, body, c.getAuthTag()]);
  };
  const rawDecrypt = (sealed: Buffer): Buffer => {
    const d = createDecipheriv('aes-256-gcm', rawKey, sealed.subarray(0, 12), { authTagLength: 16 });
    d.setAAD(aad);
    d.setAuthTag(sealed.subarray(sealed.byteLength - 16));
    const body = d.update(sealed.subarray(12, sealed.byteLength - 16));
    d.final();
    return body;
  };

  const cases: BenchCase[] = [];
  for (const [label, size] of [
    ['64B', 64],
    ['4KiB', 4096],
  ] as const) {
    const pt = randomBytes(size);
    const ours = keyring.encrypt(pt, aad);
    const raw = rawEncrypt(pt);
    cases.push(
      {
        id: `crypto/encrypt-${label}`,
        ours: { name: `keyring.encrypt ${label} (ax:v1 string)`, fn: () => keyring.encrypt(pt, aad) },
        peer: { name: `node:crypto aes-256-gcm ${label}`, fn: () => rawEncrypt(pt) },
        target: { minRatio: 1 / 1.2, note: 'within 1.2x of raw node:crypto' },
      },
      {
        id: `crypto/decrypt-${label}`,
        ours: { name: `keyring.decrypt ${label} (ax:v1 string)`, fn: () => keyring.decrypt(ours, aad) },
        peer: { name: `node:crypto aes-256-gcm ${label}`, fn: () => rawDecrypt(raw) },
        target: { minRatio: 1 / 1.2, note: 'within 1.2x of raw node:crypto' },
      },
    );
  }
  return { cases, cleanup: async () => undefined };
}
