import { CryptoError, ValidationError } from '@ax/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aadOf, fieldAad } from '../src/index.js';
import { memoryKeyring, thrown } from './helpers.js';

const FORMAT = /^ax:v1:k([1-9][0-9]*):([A-Za-z0-9_-]+)$/;

describe('keyring AEAD', () => {
  it('round-trips text and bytes in the self-describing format', async () => {
    const kr = await memoryKeyring();
    const aad = fieldAad({ tenantId: 'tnt_a', table: 'secrets', recordId: 'sec_1', field: 'value' });
    const ct = kr.encrypt('hello', aad);
    expect(ct).toMatch(FORMAT);
    expect(ct.startsWith('ax:v1:k1:')).toBe(true);
    expect(kr.decryptString(ct, aad)).toBe('hello');
    const bytes = new Uint8Array([0, 1, 2, 255]);
    expect([...kr.decrypt(kr.encrypt(bytes, aad), aad)]).toEqual([...bytes]);
    expect(kr.decrypt(kr.encrypt('', aad), aad).byteLength).toBe(0);
    // 12-byte nonce + 16-byte tag around the plaintext
    expect(Buffer.from(FORMAT.exec(ct)![2]!, 'base64url').byteLength).toBe(12 + 5 + 16);
    expect(kr.versionOf(ct)).toBe(1);
  });

  it('round-trips arbitrary plaintexts and AAD (property)', async () => {
    const kr = await memoryKeyring();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 64 }), (pt, aad) => {
        expect(Buffer.from(kr.decrypt(kr.encrypt(pt, aad), aad)).equals(Buffer.from(pt))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects every single-bit flip of the binary payload with CryptoError', async () => {
    const kr = await memoryKeyring();
    const aad = aadOf('t', 'r');
    const ct = kr.encrypt('attack at dawn', aad);
    const [, v, payload] = FORMAT.exec(ct)!;
    const raw = Buffer.from(payload!, 'base64url');
    for (let bit = 0; bit < raw.byteLength * 8; bit++) {
      const flipped = Buffer.from(raw);
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      const forged = `ax:v1:k${v}:${flipped.toString('base64url')}`;
      expect(thrown(() => kr.decrypt(forged, aad))).toBeInstanceOf(CryptoError);
    }
  });

  it('rejects every single-bit flip of every character of the string with CryptoError', async () => {
    const kr = await memoryKeyring();
    const aad = aadOf('t', 'r');
    const ct = kr.encrypt('attack at dawn!', aad);
    let checked = 0;
    for (let i = 0; i < ct.length; i++) {
      for (let bit = 0; bit < 7; bit++) {
        const forged = ct.slice(0, i) + String.fromCharCode(ct.charCodeAt(i) ^ (1 << bit)) + ct.slice(i + 1);
        const err = thrown(() => kr.decrypt(forged, aad));
        // A flipped version digit may name a version this keyring does not have: still a CryptoError.
        expect(err).toBeInstanceOf(CryptoError);
        checked++;
      }
    }
    expect(checked).toBe(ct.length * 7);
  });

  it('rejects the ciphertext truncated to every shorter length, and with bytes appended', async () => {
    const kr = await memoryKeyring();
    const aad = aadOf('x');
    const ct = kr.encrypt('0123456789abcdef0123456789', aad);
    for (let len = 0; len < ct.length; len++) {
      expect(thrown(() => kr.decrypt(ct.slice(0, len), aad))).toBeInstanceOf(CryptoError);
    }
    const raw = Buffer.from(ct.slice('ax:v1:k1:'.length), 'base64url');
    for (let len = 0; len < raw.byteLength; len++) {
      const forged = `ax:v1:k1:${raw.subarray(0, len).toString('base64url')}`;
      expect(thrown(() => kr.decrypt(forged, aad))).toBeInstanceOf(CryptoError);
    }
    for (const extra of ['A', 'AA', 'AAA', 'AAAA', '=', '==']) {
      expect(thrown(() => kr.decrypt(ct + extra, aad))).toBeInstanceOf(CryptoError);
    }
  });

  it('rejects swapped associated data with CryptoError', async () => {
    const kr = await memoryKeyring();
    const a = fieldAad({ tenantId: 'tnt_a', table: 'secrets', recordId: 'sec_1', field: 'value' });
    const variants = [
      fieldAad({ tenantId: 'tnt_b', table: 'secrets', recordId: 'sec_1', field: 'value' }),
      fieldAad({ tenantId: 'tnt_a', table: 'secrets', recordId: 'sec_2', field: 'value' }),
      fieldAad({ tenantId: 'tnt_a', table: 'secrets', recordId: 'sec_1', field: 'value', extra: [2] }),
      new Uint8Array(0),
      a.subarray(0, a.byteLength - 1),
    ];
    const ct = kr.encrypt('v', a);
    for (const b of variants) expect(thrown(() => kr.decrypt(ct, b))).toBeInstanceOf(CryptoError);
    // and the other way round
    for (const b of variants)
      expect(thrown(() => kr.decrypt(kr.encrypt('v', b), a))).toBeInstanceOf(CryptoError);
  });

  it('refuses unknown formats', async () => {
    const kr = await memoryKeyring();
    const aad = aadOf('x');
    const good = kr.encrypt('v', aad);
    const payload = good.slice('ax:v1:k1:'.length);
    for (const bad of [
      '',
      'hello',
      `ax:v2:k1:${payload}`,
      `ax:v1:k01:${payload}`,
      `ax:v1:k:${payload}`,
      `ax:v1:k1${payload}`,
      `AX:v1:k1:${payload}`,
      `ax:v1:k1:${payload.replaceAll('-', '+').replaceAll('_', '/')}`,
      `ax:v1:k1:${payload} `,
      `ax:v1:k1234567890:${payload}`,
    ]) {
      if (bad === good) continue;
      const err = thrown(() => kr.decrypt(bad, aad));
      expect(err).toBeInstanceOf(CryptoError);
    }
  });

  it('validates argument types with ValidationError', async () => {
    const kr = await memoryKeyring();
    expect(thrown(() => kr.decrypt(42 as unknown as string, aadOf('x')))).toBeInstanceOf(ValidationError);
    expect(thrown(() => kr.encrypt('x', 'aad' as unknown as Uint8Array))).toBeInstanceOf(ValidationError);
    expect(thrown(() => aadOf())).toBeInstanceOf(ValidationError);
    expect(thrown(() => aadOf(-1))).toBeInstanceOf(ValidationError);
  });

  it('gives 2^17 encryptions of the same message 2^17 distinct nonces', async () => {
    const kr = await memoryKeyring({ reserveBlockSize: 2 ** 18 });
    const aad = aadOf('nonce-test');
    const nonces = new Set<string>();
    const n = 2 ** 17;
    for (let i = 0; i < n; i++) {
      if ((i & 1023) === 0) await kr.reserve();
      const ct = kr.encrypt('same message', aad);
      nonces.add(ct.slice(9, 25)); // first 16 base64url chars = first 12 bytes = the nonce
    }
    expect(nonces.size).toBe(n);
  }, 120_000);
});

describe('canonical AAD', () => {
  it('never encodes two different part lists to the same bytes (property)', () => {
    const part = fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.nat({ max: 1000 }),
      fc.uint8Array({ maxLength: 8 }),
    );
    const list = fc.array(part, { minLength: 1, maxLength: 5 });
    fc.assert(
      fc.property(list, list, (a, b) => {
        const same = JSON.stringify(a.map(tagged)) === JSON.stringify(b.map(tagged));
        expect(aadOf(...a).equals(aadOf(...b))).toBe(same);
      }),
      { numRuns: 2000 },
    );
  });

  it('separates the classic join ambiguities', () => {
    expect(aadOf('a:b', 'c').equals(aadOf('a', 'b:c'))).toBe(false);
    expect(aadOf('1').equals(aadOf(1))).toBe(false);
    expect(aadOf('ab').equals(aadOf('a', 'b'))).toBe(false);
    expect(aadOf(new Uint8Array([97])).equals(aadOf('a'))).toBe(false);
  });
});

function tagged(p: string | number | Uint8Array): string {
  if (typeof p === 'string') return `s${p}`;
  if (typeof p === 'number') return `n${p}`;
  return `b${Buffer.from(p).toString('hex')}`;
}
