import { createDecipheriv, createHmac, hkdfSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { aadOf, Keyring, MemoryKeyringStore } from '../src/index.js';
import { TEST_MASTER_KEY } from './helpers.js';

const ikm = Buffer.from(TEST_MASTER_KEY.slice('base64:'.length), 'base64');

// Recomputes keys exactly as the README documents, independently of the keyring's code.
function documentedKey(salt: Uint8Array, use: 'aead' | 'mac', purpose: string, version: number): Buffer {
  const info = aadOf('ax-keyring/1', 'default', use, purpose, version);
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, 32));
}

describe('key derivation matches the documented construction', () => {
  it('AEAD keys are HKDF-SHA256(master key, stored random salt, info) per version; MAC keys per purpose', async () => {
    const store = new MemoryKeyringStore();
    const kr = await Keyring.open({ store, masterKey: TEST_MASTER_KEY, env: {} });
    await kr.rotate();
    const record = (await store.load('default'))!;
    expect(record.hkdfSalt.byteLength).toBe(32);
    expect(Buffer.from(record.hkdfSalt).equals(Buffer.alloc(32))).toBe(false);
    expect(JSON.stringify(record)).not.toContain(ikm.toString('hex'));

    const aad = aadOf('x');
    const ct = kr.encrypt('derived', aad);
    const sealed = Buffer.from(ct.slice('ax:v1:k2:'.length), 'base64url');
    const d = createDecipheriv(
      'aes-256-gcm',
      documentedKey(record.hkdfSalt, 'aead', '', 2),
      sealed.subarray(0, 12),
      {
        authTagLength: 16,
      },
    );
    d.setAAD(aad);
    d.setAuthTag(sealed.subarray(sealed.byteLength - 16));
    expect(Buffer.concat([d.update(sealed.subarray(12, sealed.byteLength - 16)), d.final()]).toString()).toBe(
      'derived',
    );

    const { mac, keyVersion } = kr.macSigner('audit.chain').sign('entry');
    const expected = createHmac('sha256', documentedKey(record.hkdfSalt, 'mac', 'audit.chain', keyVersion))
      .update('entry')
      .digest();
    expect(Buffer.from(mac).equals(expected)).toBe(true);
  });
});
