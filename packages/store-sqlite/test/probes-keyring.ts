import type { KeyringProbe } from '@ax/store-testkit';
import type BetterSqlite3 from 'better-sqlite3';

/** Raw keyring reads with hand-written SQL on the probe's own connection. */
export function sqliteKeyringProbe(raw: BetterSqlite3.Database): KeyringProbe {
  return {
    async keyringRow(name) {
      const r = raw.prepare('SELECT * FROM keyrings WHERE name = ?').get(name) as
        | {
            hkdf_salt: Buffer;
            primary_version: number;
            min_decryption_version: number;
            min_encryption_version: number;
          }
        | undefined;
      if (!r) return null;
      return {
        hkdfSalt: new Uint8Array(r.hkdf_salt),
        primaryVersion: r.primary_version,
        minDecryptionVersion: r.min_decryption_version,
        minEncryptionVersion: r.min_encryption_version,
      };
    },
    async keyVersionRows(name) {
      return (
        raw
          .prepare(
            'SELECT version, status, reserved_encryptions FROM keyring_versions WHERE keyring = ? ORDER BY version',
          )
          .all(name) as { version: number; status: string; reserved_encryptions: number }[]
      ).map((r) => ({ version: r.version, status: r.status, reservedEncryptions: r.reserved_encryptions }));
    },
  };
}
