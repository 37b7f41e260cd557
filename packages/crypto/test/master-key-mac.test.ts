import { inspect } from 'node:util';
import { CryptoError, ValidationError } from '@ax/core';
import { describe, expect, it } from 'vitest';
import {
  aadOf,
  INSECURE_DEV_MASTER_KEY,
  Keyring,
  MemoryKeyringStore,
  resolveMasterKey,
} from '../src/index.js';
import { memoryKeyring, TEST_MASTER_KEY } from './helpers.js';

const PROD = { NODE_ENV: 'production' };
const STRONG_PASSPHRASE = 'correct horse battery staple and then some more words';

describe('master key', () => {
  it('in production refuses a missing, short or known-default key and says why', () => {
    const cases: [Record<string, string | undefined>, string][] = [
      [PROD, 'missing'],
      [{ ...PROD, AX_MASTER_KEY: '' }, 'missing'],
      [{ ...PROD, AX_MASTER_KEY: 'base64:AAECAwQ=' }, 'short'],
      [{ ...PROD, AX_MASTER_KEY: 'tooshort-passphrase' }, 'short'],
      [{ ...PROD, AX_MASTER_KEY: INSECURE_DEV_MASTER_KEY }, 'known-default'],
      [{ ...PROD, AX_MASTER_KEY: 'changeme' }, 'known-default'],
      [{ ...PROD, AX_MASTER_KEY: `hex:${'00'.repeat(32)}` }, 'known-default'],
      [{ ...PROD, AX_MASTER_KEY: 'hex:zz' }, 'malformed'],
      // The published dev key with the whitespace or case an env file or a copy-paste adds.
      [{ ...PROD, AX_MASTER_KEY: `${INSECURE_DEV_MASTER_KEY}\n` }, 'known-default'],
      [{ ...PROD, AX_MASTER_KEY: ` ${INSECURE_DEV_MASTER_KEY} ` }, 'known-default'],
      [{ ...PROD, AX_MASTER_KEY: INSECURE_DEV_MASTER_KEY.toUpperCase() }, 'known-default'],
    ];
    for (const [env, problem] of cases) {
      let err: unknown;
      try {
        resolveMasterKey({ env });
      } catch (e) {
        err = e;
      }
      expect(err, problem).toBeInstanceOf(CryptoError);
      expect((err as CryptoError).details.problem).toBe(problem);
      const value = env.AX_MASTER_KEY;
      if (value && value.length > 3) {
        expect((err as Error).message).not.toContain(value.replace(/^(hex|base64):/, ''));
        expect(JSON.stringify(err)).not.toContain(value.replace(/^(hex|base64):/, ''));
      }
    }
    expect(resolveMasterKey({ env: { ...PROD, AX_MASTER_KEY: TEST_MASTER_KEY } }).kind).toBe('raw');
    expect(resolveMasterKey({ env: { ...PROD, AX_MASTER_KEY: STRONG_PASSPHRASE } }).kind).toBe('passphrase');
  });

  it('outside production falls back to the documented dev key with a warning that does not contain it', () => {
    const warnings: string[] = [];
    const key = resolveMasterKey({ env: {}, onWarning: (m) => warnings.push(m) });
    expect(key.insecureDefault).toBe(true);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/insecure development key/);
    expect(warnings.join()).not.toContain(INSECURE_DEV_MASTER_KEY);
  });

  it('the explicit option wins over AX_MASTER_KEY, and the key never shows in JSON or inspect', () => {
    const secret = STRONG_PASSPHRASE;
    const key = resolveMasterKey({ masterKey: secret, env: { AX_MASTER_KEY: TEST_MASTER_KEY } });
    expect(key.kind).toBe('passphrase');
    expect(JSON.stringify({ key })).not.toContain('horse');
    expect(inspect(key, { showHidden: true, depth: 5 })).not.toContain('horse');
    expect(String(key)).toBe('[MasterKey]');
  });

  it('a keyring refuses a different master key than it was created with', async () => {
    const store = new MemoryKeyringStore();
    await Keyring.open({ store, masterKey: TEST_MASTER_KEY, env: {} });
    const other = `base64:${Buffer.from(Uint8Array.from({ length: 32 }, (_, i) => i * 3 + 1)).toString('base64')}`;
    await expect(Keyring.open({ store, masterKey: other, env: {} })).rejects.toMatchObject({
      code: 'CRYPTO',
      details: { problem: 'mismatch' },
    });
  });

  it('a passphrase is stretched with scrypt whose parameters and salt are recorded in the keyring', async () => {
    const store = new MemoryKeyringStore();
    const kr = await Keyring.open({
      store,
      masterKey: STRONG_PASSPHRASE,
      env: {},
      scrypt: { N: 2 ** 14, r: 8, p: 1 },
    });
    const record = await store.load('default');
    expect(record?.kdf).toMatchObject({ kind: 'scrypt', N: 2 ** 14, r: 8, p: 1 });
    expect(record?.kdf.kind === 'scrypt' && record.kdf.salt.byteLength).toBe(32);
    const ct = kr.encrypt('x', aadOf('a'));
    const again = await Keyring.open({ store, masterKey: STRONG_PASSPHRASE, env: {} });
    expect(again.decryptString(ct, aadOf('a'))).toBe('x');
    await expect(Keyring.open({ store, masterKey: `${STRONG_PASSPHRASE}!`, env: {} })).rejects.toBeInstanceOf(
      CryptoError,
    );
  });

  it('each installation gets its own random HKDF salt, so the same master key gives different keys', async () => {
    const a = await memoryKeyring();
    const b = await memoryKeyring();
    const ct = a.encrypt('x', aadOf('a'));
    expect(() => b.decrypt(ct, aadOf('a'))).toThrow(CryptoError);
  });

  it('the keyring serialises without key material', async () => {
    const kr = await memoryKeyring();
    const text = `${JSON.stringify(kr)} ${inspect(kr, { depth: 5 })} ${JSON.stringify(await kr.status())}`;
    expect(text).not.toMatch(/base64:|hkdf|salt|verifier/i);
  });
});

describe('macSigner', () => {
  it('signs under the primary and verifies with a per-purpose key', async () => {
    const kr = await memoryKeyring();
    const audit = kr.macSigner('audit.chain');
    const other = kr.macSigner('webhooks');
    const { keyVersion, mac } = audit.sign('entry-1');
    expect(keyVersion).toBe(1);
    expect(mac.byteLength).toBe(32);
    expect(audit.verify('entry-1', mac, 1)).toBe(true);
    expect(audit.verify(new TextEncoder().encode('entry-1'), mac, 1)).toBe(true);
    expect(audit.verify('entry-2', mac, 1)).toBe(false);
    expect(other.verify('entry-1', mac, 1)).toBe(false);
    expect(audit.verify('entry-1', mac.subarray(0, 31), 1)).toBe(false);
    for (const v of [0, 2, -1, 1.5, Number.NaN]) expect(audit.verify('entry-1', mac, v)).toBe(false);
    const flipped = Uint8Array.from(mac);
    flipped[0]! ^= 1;
    expect(audit.verify('entry-1', flipped, 1)).toBe(false);
    expect(kr.macSigner('audit.chain')).toBe(audit);
    expect(() => kr.macSigner('Bad Purpose')).toThrow(/mac purpose/);
    for (const bad of [undefined, 42, { toString: () => 'entry-1' }]) {
      expect(() => audit.sign(bad as unknown as string)).toThrow(ValidationError);
    }
  });

  it('after rotation signs with the new version and still verifies old signatures, even archived', async () => {
    const kr = await memoryKeyring();
    const signer = kr.macSigner('audit.chain');
    const old = signer.sign('a');
    await kr.rotate();
    expect(signer.currentVersion).toBe(2);
    const fresh = signer.sign('a');
    expect(fresh.keyVersion).toBe(2);
    expect(Buffer.from(fresh.mac).equals(Buffer.from(old.mac))).toBe(false);
    await kr.setMinDecryptionVersion(2);
    expect(signer.verify('a', old.mac, 1)).toBe(true);
    expect(signer.verify('a', old.mac, 2)).toBe(false);
  });

  it('is stable across processes sharing the keyring state', async () => {
    const store = new MemoryKeyringStore();
    const a = await Keyring.open({ store, masterKey: TEST_MASTER_KEY, env: {} });
    const b = await Keyring.open({ store, masterKey: TEST_MASTER_KEY, env: {} });
    const { mac, keyVersion } = a.macSigner('audit.chain').sign('x');
    expect(b.macSigner('audit.chain').verify('x', mac, keyVersion)).toBe(true);
  });
});
