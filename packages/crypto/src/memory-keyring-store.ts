import type { EncryptionBlock, KeyringPolicy, KeyringRecord, KeyringStore, KeyVersionRecord } from '@ax/core';

function clone(r: KeyringRecord): KeyringRecord {
  return structuredClone(r);
}

/**
 * A {@link KeyringStore} in process memory: for tests and throwaway tools. State dies with the process, and
 * with it the salt, so anything encrypted becomes unreadable; use a real store for data that matters.
 */
export class MemoryKeyringStore implements KeyringStore {
  readonly #rings = new Map<string, KeyringRecord>();

  async load(name: string): Promise<KeyringRecord | null> {
    const r = this.#rings.get(name);
    return r ? clone(r) : null;
  }

  async create(keyring: KeyringRecord): Promise<boolean> {
    if (this.#rings.has(keyring.name)) return false;
    this.#rings.set(keyring.name, clone(keyring));
    return true;
  }

  async addVersion(name: string, version: KeyVersionRecord, updatedAt: number): Promise<boolean> {
    const r = this.#rings.get(name);
    if (!r || r.versions.some((v) => v.version === version.version)) return false;
    r.versions.push({ ...version });
    r.versions.sort((a, b) => a.version - b.version);
    r.primaryVersion = version.version;
    r.updatedAt = updatedAt;
    return true;
  }

  async setPolicy(name: string, policy: KeyringPolicy): Promise<boolean> {
    const r = this.#rings.get(name);
    if (!r) return false;
    r.primaryVersion = policy.primaryVersion;
    r.minDecryptionVersion = policy.minDecryptionVersion;
    r.minEncryptionVersion = policy.minEncryptionVersion;
    r.updatedAt = policy.updatedAt;
    for (const v of r.versions) v.status = v.version < policy.archiveBelow ? 'archived' : 'active';
    return true;
  }

  async reserveEncryptions(
    name: string,
    version: number,
    count: number,
    limit: number,
  ): Promise<EncryptionBlock | null> {
    const v = this.#rings.get(name)?.versions.find((x) => x.version === version);
    if (!v || v.reservedEncryptions >= limit) return null;
    const from = v.reservedEncryptions;
    v.reservedEncryptions = Math.min(from + count, limit);
    return { from, to: v.reservedEncryptions };
  }
}
