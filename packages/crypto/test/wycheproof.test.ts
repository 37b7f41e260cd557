import { type CipherGCMTypes, createDecipheriv, createSecretKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CryptoError } from '@ax/core';
import { describe, expect, it } from 'vitest';
import { open } from '../src/aead.js';
import { decodePayload } from '../src/envelope.js';

interface Vector {
  tcId: number;
  key: string;
  iv: string;
  aad: string;
  msg: string;
  ct: string;
  tag: string;
  result: 'valid' | 'invalid' | 'acceptable';
  flags: string[];
}
interface Group {
  keySize: number;
  ivSize: number;
  tagSize: number;
  tests: Vector[];
}

const suite = JSON.parse(
  readFileSync(new URL('./fixtures/wycheproof/aes_gcm_test.json', import.meta.url), 'utf8'),
) as { numberOfTests: number; testGroups: Group[] };
const all = suite.testGroups.flatMap((g) => g.tests.map((t) => ({ ...t, group: g })));
const fits = (g: Group) => g.keySize === 256 && g.ivSize === 96 && g.tagSize === 128;
const hex = (s: string) => Buffer.from(s, 'hex');

describe('Wycheproof AES-GCM (aes_gcm_test.json, Apache-2.0, see fixtures/wycheproof/LICENSE)', () => {
  it('has all 316 vectors', () => {
    expect(all).toHaveLength(316);
    expect(suite.numberOfTests).toBe(316);
  });

  it('AES-256 / 96-bit nonce / 128-bit tag vectors go through our decode + open path', () => {
    let valid = 0;
    let invalid = 0;
    for (const v of all.filter((t) => fits(t.group))) {
      const envelopePayload = Buffer.concat([hex(v.iv), hex(v.ct), hex(v.tag)]).toString('base64url');
      const run = () => open(createSecretKey(hex(v.key)), decodePayload(envelopePayload, 0), hex(v.aad));
      if (v.result === 'valid') {
        expect(run().toString('hex'), `tcId ${v.tcId}`).toBe(v.msg);
        valid++;
      } else {
        expect(run, `tcId ${v.tcId}`).toThrow(CryptoError);
        invalid++;
      }
    }
    expect(valid + invalid).toBe(66);
    expect(invalid).toBeGreaterThan(0);
  });

  it('the other 250 vectors (AES-128/192 keys or non-96-bit nonces, which our format cannot carry) check the platform primitive', () => {
    let count = 0;
    let platformRefused = 0;
    for (const v of all.filter((t) => !fits(t.group))) {
      const decrypt = () => {
        const d = createDecipheriv(`aes-${v.group.keySize}-gcm` as CipherGCMTypes, hex(v.key), hex(v.iv), {
          authTagLength: v.group.tagSize / 8,
        });
        d.setAAD(hex(v.aad));
        d.setAuthTag(hex(v.tag));
        return Buffer.concat([d.update(hex(v.ct)), d.final()]).toString('hex');
      };
      if (v.result === 'valid') {
        let plaintext: string | null = null;
        try {
          plaintext = decrypt();
        } catch (err) {
          // Node refuses some unusual nonce lengths (very short, or 2056 bits) even in valid vectors;
          // our format only ever uses 96-bit nonces, which it always accepts.
          expect(v.group.ivSize, `tcId ${v.tcId}: ${String(err)}`).not.toBe(96);
          platformRefused++;
        }
        if (plaintext !== null) expect(plaintext, `tcId ${v.tcId}`).toBe(v.msg);
      } else expect(decrypt, `tcId ${v.tcId}`).toThrow();
      count++;
    }
    expect(count).toBe(250);
    expect(platformRefused).toBeLessThanOrEqual(30);
  });
});
