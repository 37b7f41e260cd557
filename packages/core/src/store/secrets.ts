/** A secret's head: which version is current, and who touched it. Never holds a value. */
export interface SecretHead {
  tenantId: string;
  key: string;
  currentVersion: number;
  createdAt: number;
  updatedAt: number;
  /** Actor ids, `type:id`. */
  createdBy: string;
  updatedBy: string;
}

/** One stored version of a secret: its value only as a ciphertext. */
export interface SecretVersionRecord {
  tenantId: string;
  key: string;
  version: number;
  /** Self-describing ciphertext (`ax:v1:k<n>:…`), bound to tenant, key and version by its AAD. */
  ciphertext: string;
  /** The keyring version inside `ciphertext`, kept as a column so rewrap can find what is stale. */
  keyVersion: number;
  createdAt: number;
  createdBy: string;
}

/** Version metadata, without the ciphertext. */
export type SecretVersionMeta = Omit<SecretVersionRecord, 'ciphertext'>;

/** A write of a new version with check-and-set on the current one. */
export interface SecretWrite {
  /** The current version the writer saw: 0 when the secret must not exist yet. */
  expectedVersion: number;
  /** The new version; `version.version` must be `expectedVersion + 1`. */
  version: SecretVersionRecord;
  /** Versions to keep, counting the new one; older ones are removed in the same transaction. */
  keep: number;
}

/** Where {@link SecretStore.listForRewrap} resumes: the last row it returned. */
export interface SecretCursor {
  tenantId: string;
  key: string;
  version: number;
}

/** A conditional ciphertext replacement made by rewrap. */
export interface CiphertextSwap {
  tenantId: string;
  key: string;
  version: number;
  /** Replace only if the row still holds exactly this ciphertext. */
  from: string;
  to: string;
  keyVersion: number;
}

/** Storage port for per-tenant secrets with KV-v2-like versions. Every method is scoped by tenant. */
export interface SecretStore {
  /** The current version's row, in one read; null when there is no such secret in that tenant. */
  getCurrent(tenantId: string, key: string): Promise<SecretVersionRecord | null>;
  /** Current rows of several keys of one tenant (missing keys are simply absent). */
  getManyCurrent(tenantId: string, keys: readonly string[]): Promise<SecretVersionRecord[]>;
  /** A given version's row, or null when it never existed or was pruned. */
  getVersion(tenantId: string, key: string, version: number): Promise<SecretVersionRecord | null>;
  head(tenantId: string, key: string): Promise<SecretHead | null>;
  /**
   * Writes a new version and moves the head to it, atomically: returns false, writing nothing, when the
   * current version is not `expectedVersion`. Prunes versions beyond `keep`.
   */
  write(write: SecretWrite): Promise<boolean>;
  /** Heads of a tenant ordered by key, after `afterKey`, optionally only keys starting with `prefix`. */
  list(tenantId: string, page: { prefix?: string; afterKey?: string; limit: number }): Promise<SecretHead[]>;
  /** Stored versions of a secret, ascending, without ciphertexts. */
  versions(tenantId: string, key: string): Promise<SecretVersionMeta[]>;
  /**
   * Removes the secret with every version. With `expectedVersion`, only when that is still current.
   * Returns false when nothing was removed.
   */
  delete(tenantId: string, key: string, expectedVersion?: number): Promise<boolean>;
  /** Version rows of every tenant whose key version is not `keyVersion`, in (tenant, key, version) order. */
  listForRewrap(
    keyVersion: number,
    after: SecretCursor | null,
    limit: number,
  ): Promise<SecretVersionRecord[]>;
  /** Applies swaps whose row still holds `from`, atomically; returns how many were applied. */
  swapCiphertexts(swaps: readonly CiphertextSwap[]): Promise<number>;
  /** Number of stored versions per keyring version, across tenants. */
  countByKeyVersion(): Promise<{ keyVersion: number; count: number }[]>;
}
