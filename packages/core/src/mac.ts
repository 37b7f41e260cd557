/**
 * A keyed MAC with versioned keys. @ax/crypto's keyring provides one per purpose; @ax/audit signs
 * chain hashes and checkpoints with it. Defined here so neither package imports the other.
 */
export interface MacSigner {
  /** The key version new signatures use. */
  readonly currentVersion: number;
  /** HMAC-SHA256 of `data` under the current key version. */
  sign(data: Uint8Array | string): { keyVersion: number; mac: Uint8Array };
  /** Constant-time check of `mac` over `data` under `keyVersion`; false for unknown versions. */
  verify(data: Uint8Array | string, mac: Uint8Array, keyVersion: number): boolean;
}
