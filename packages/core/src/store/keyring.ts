/** How the master key becomes input key material: used as is, or stretched with scrypt first. */
export type MasterKeyKdf =
  | { kind: 'raw' }
  | {
      kind: 'scrypt';
      /** Random per-installation scrypt salt. */
      salt: Uint8Array;
      /** CPU/memory cost (a power of two). */
      N: number;
      r: number;
      p: number;
    };

/** A key version's lifecycle state. Archived versions are kept (never destroyed) so the change is reversible. */
export type KeyVersionStatus = 'active' | 'archived';

/** One key version as stored. Key material is never stored: it is derived from the master key. */
export interface KeyVersionRecord {
  version: number;
  status: KeyVersionStatus;
  createdAt: number;
  /**
   * Encryptions reserved for this version so far, across every process. A process reserves a block before
   * it encrypts with it, so this only ever over-counts what was really used (a crash loses the rest of a block).
   */
  reservedEncryptions: number;
}

/** The keyring's persisted state. */
export interface KeyringRecord {
  /** Keyring name; one installation usually has one, `default`. */
  name: string;
  /** Random per-installation HKDF salt (32 bytes). */
  hkdfSalt: Uint8Array;
  kdf: MasterKeyKdf;
  /** A MAC under a key derived from the master key: proves a later master key is the same one. */
  verifier: Uint8Array;
  primaryVersion: number;
  minDecryptionVersion: number;
  minEncryptionVersion: number;
  createdAt: number;
  updatedAt: number;
  /** Every version ever created, ascending. */
  versions: KeyVersionRecord[];
}

/** A version range `[from, to)` of encryptions granted by {@link KeyringStore.reserveEncryptions}. */
export interface EncryptionBlock {
  from: number;
  to: number;
}

/** The version pointers {@link KeyringStore.setPolicy} writes. */
export interface KeyringPolicy {
  primaryVersion: number;
  minDecryptionVersion: number;
  minEncryptionVersion: number;
  updatedAt: number;
  /** Versions below this are archived; at or above it, active. */
  archiveBelow: number;
}

/** Storage port for the keyring's state. Every write is a single atomic, conditional statement. */
export interface KeyringStore {
  /** The keyring with its versions, or null when none has been created. */
  load(name: string): Promise<KeyringRecord | null>;
  /**
   * Creates the keyring with its versions. Returns false, writing nothing, when one with that name exists
   * (another process won the race; load it).
   */
  create(keyring: KeyringRecord): Promise<boolean>;
  /**
   * Adds `version` and makes it primary, in one transaction. Returns false, writing nothing, when that
   * version number exists already (another process rotated first: reload and decide again).
   */
  addVersion(name: string, version: KeyVersionRecord, updatedAt: number): Promise<boolean>;
  /** Writes the version pointers and archive states. Returns false when the keyring does not exist. */
  setPolicy(name: string, policy: KeyringPolicy): Promise<boolean>;
  /**
   * Atomically reserves up to `count` encryptions of `version`, never past `limit`: one conditional update,
   * so two processes never get overlapping blocks. Returns the block granted (possibly shorter than `count`),
   * or null when the version has reached `limit` or does not exist.
   */
  reserveEncryptions(
    name: string,
    version: number,
    count: number,
    limit: number,
  ): Promise<EncryptionBlock | null>;
}
