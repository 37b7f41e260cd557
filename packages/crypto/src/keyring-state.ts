import { randomBytes, timingSafeEqual } from 'node:crypto';
import { type Clock, CryptoError, type KeyringRecord, type KeyringStore } from '@ax/core';
import { deriveAeadKey, masterKeyVerifier } from './derive.js';
import { DEFAULT_SCRYPT, type MasterKey, type ScryptParams, scryptKey } from './master-key.js';

/** Loads or creates the keyring record and turns the master key into input key material. */
export async function loadOrCreate(
  store: KeyringStore,
  name: string,
  master: MasterKey,
  clock: Clock,
  scrypt: ScryptParams = DEFAULT_SCRYPT,
): Promise<{ record: KeyringRecord; ikm: Buffer }> {
  let record = await store.load(name);
  if (!record) {
    const now = clock.now();
    const hkdfSalt = randomBytes(32);
    const kdf =
      master.kind === 'passphrase'
        ? {
            kind: 'scrypt' as const,
            salt: randomBytes(32),
            N: scrypt.N,
            r: scrypt.r,
            p: scrypt.p,
          }
        : { kind: 'raw' as const };
    const ikm =
      kdf.kind === 'scrypt' ? await scryptKey(master.bytes(), kdf.salt, kdf) : Buffer.from(master.bytes());
    const fresh: KeyringRecord = {
      name,
      hkdfSalt,
      kdf,
      verifier: masterKeyVerifier(ikm, hkdfSalt, name),
      primaryVersion: 1,
      minDecryptionVersion: 1,
      minEncryptionVersion: 1,
      createdAt: now,
      updatedAt: now,
      versions: [
        {
          version: 1,
          status: 'active',
          createdAt: now,
          reservedEncryptions: 0,
        },
      ],
    };
    if (await store.create(fresh)) return { record: fresh, ikm };
    ikm.fill(0);
    record = await store.load(name); // another process created it first
    if (!record) throw new CryptoError(`keyring ${name} could not be created or loaded`);
  }
  const expectedKind = record.kdf.kind === 'scrypt' ? 'passphrase' : 'raw';
  if (master.kind !== expectedKind) {
    throw new CryptoError(
      `master key refused: keyring ${name} was created with a ${expectedKind} master key, this one is a ${master.kind}`,
      { details: { problem: 'mismatch' } },
    );
  }
  const ikm =
    record.kdf.kind === 'scrypt'
      ? await scryptKey(master.bytes(), record.kdf.salt, record.kdf)
      : Buffer.from(master.bytes());
  const verifier = masterKeyVerifier(ikm, record.hkdfSalt, name);
  if (verifier.byteLength !== record.verifier.byteLength || !timingSafeEqual(verifier, record.verifier)) {
    ikm.fill(0);
    throw new CryptoError(`master key refused: it is not the master key keyring ${name} was created with`, {
      details: { problem: 'mismatch' },
    });
  }
  return { record, ikm };
}

/** Derived AEAD keys by version (index = version), derived once and cached. */
export class AeadKeys {
  readonly #keys: (Buffer | undefined)[] = [];
  readonly #ikm: Buffer;
  readonly #salt: Uint8Array;
  readonly #name: string;

  constructor(ikm: Buffer, salt: Uint8Array, name: string) {
    this.#ikm = ikm;
    this.#salt = salt;
    this.#name = name;
  }

  get(version: number): Buffer {
    let key = this.#keys[version];
    if (key === undefined) {
      key = deriveAeadKey(this.#ikm, this.#salt, this.#name, version);
      this.#keys[version] = key;
    }
    return key;
  }
}
