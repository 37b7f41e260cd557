import { createHmac, type KeyObject, timingSafeEqual } from 'node:crypto';
import { type MacSigner, parseInput } from '@ax/core';
import { z } from 'zod';
import { deriveMacKey } from './derive.js';

const dataSchema = z.union([z.string(), z.instanceof(Uint8Array)]);

/** What a keyring lends its MAC signers: current pointers and derivation inputs. */
export interface MacSource {
  readonly primaryVersion: number;
  readonly latestVersion: number;
  readonly name: string;
  derivationInput(): { ikm: Buffer; salt: Uint8Array };
}

/**
 * HMAC-SHA256 signer for one purpose: one key per (purpose, version), derived with HKDF from the master
 * key. Signs under the keyring's primary version. Verifies under any existing version, archived ones
 * included: archiving limits decryption, while signatures (audit chains) must stay checkable for as long as
 * they are retained.
 */
export class KeyringMacSigner implements MacSigner {
  readonly purpose: string;
  readonly #source: MacSource;
  readonly #keys: (KeyObject | undefined)[] = [];

  constructor(source: MacSource, purpose: string) {
    this.#source = source;
    this.purpose = purpose;
  }

  get currentVersion(): number {
    return this.#source.primaryVersion;
  }

  #key(version: number): KeyObject {
    let key = this.#keys[version];
    if (key === undefined) {
      const { ikm, salt } = this.#source.derivationInput();
      key = deriveMacKey(ikm, salt, this.#source.name, this.purpose, version);
      this.#keys[version] = key;
    }
    return key;
  }

  sign(data: Uint8Array | string): { keyVersion: number; mac: Uint8Array } {
    if (typeof data !== 'string' && !(data instanceof Uint8Array)) parseInput(dataSchema, data, 'mac data');
    const keyVersion = this.#source.primaryVersion;
    return {
      keyVersion,
      mac: createHmac('sha256', this.#key(keyVersion)).update(data).digest(),
    };
  }

  verify(data: Uint8Array | string, mac: Uint8Array, keyVersion: number): boolean {
    if (!Number.isSafeInteger(keyVersion) || keyVersion < 1 || keyVersion > this.#source.latestVersion)
      return false;
    if (!(mac instanceof Uint8Array) || mac.byteLength !== 32) return false;
    if (typeof data !== 'string' && !(data instanceof Uint8Array)) return false;
    const expected = createHmac('sha256', this.#key(keyVersion)).update(data).digest();
    return timingSafeEqual(expected, mac);
  }

  toJSON(): { purpose: string; currentVersion: number } {
    return { purpose: this.purpose, currentVersion: this.currentVersion };
  }
}
