import type {
  EncryptionBlock,
  KeyringPolicy,
  KeyringRecord,
  KeyringStore,
  KeyVersionRecord,
  KeyVersionStatus,
  MasterKeyKdf,
} from '@ax/core';
import type { Database } from 'better-sqlite3';
import { lazyStatement } from './lazy-statement.js';

interface KeyringRow {
  name: string;
  hkdf_salt: Buffer;
  kdf: 'raw' | 'scrypt';
  scrypt_salt: Buffer | null;
  scrypt_n: number | null;
  scrypt_r: number | null;
  scrypt_p: number | null;
  verifier: Buffer;
  primary_version: number;
  min_decryption_version: number;
  min_encryption_version: number;
  created_at: number;
  updated_at: number;
}

function toKdf(r: KeyringRow): MasterKeyKdf {
  if (r.kdf === 'raw') return { kind: 'raw' };
  return {
    kind: 'scrypt',
    salt: new Uint8Array(r.scrypt_salt!),
    N: r.scrypt_n!,
    r: r.scrypt_r!,
    p: r.scrypt_p!,
  };
}

// The version columns of the keyring load, null for a keyring without versions (the LEFT JOIN).
interface LoadedVersionColumns {
  v_version: number | null;
  v_status: string | null;
  v_created_at: number | null;
  v_reserved_encryptions: number | null;
}

/** KeyringStore on one better-sqlite3 connection. */
export function sqliteKeyringStore(db: Database): KeyringStore {
  const selectRing = lazyStatement(db, 'SELECT * FROM keyrings WHERE name = ?');
  // The keyring and its versions in one statement: one consistent snapshot, one round trip.
  const selectLoaded = lazyStatement(
    db,
    `SELECT k.*, v.version AS v_version, v.status AS v_status, v.created_at AS v_created_at,
       v.reserved_encryptions AS v_reserved_encryptions
     FROM keyrings k LEFT JOIN keyring_versions v ON v.keyring = k.name
     WHERE k.name = ? ORDER BY v.version`,
  );
  const insertRing = lazyStatement(
    db,
    `INSERT INTO keyrings (name, hkdf_salt, kdf, scrypt_salt, scrypt_n, scrypt_r, scrypt_p, verifier, primary_version,
       min_decryption_version, min_encryption_version, created_at, updated_at)
     VALUES (@name, @hkdfSalt, @kdf, @scryptSalt, @N, @r, @p, @verifier, @primaryVersion,
       @minDecryptionVersion, @minEncryptionVersion, @createdAt, @updatedAt)
     ON CONFLICT (name) DO NOTHING`,
  );
  const insertVersion = lazyStatement(
    db,
    `INSERT INTO keyring_versions (keyring, version, status, created_at, reserved_encryptions)
     VALUES (?, ?, ?, ?, ?) ON CONFLICT (keyring, version) DO NOTHING`,
  );
  const setPrimary = lazyStatement(
    db,
    'UPDATE keyrings SET primary_version = ?, updated_at = ? WHERE name = ?',
  );
  const setPolicy = lazyStatement(
    db,
    `UPDATE keyrings SET primary_version = @primaryVersion, min_decryption_version = @minDecryptionVersion,
       min_encryption_version = @minEncryptionVersion, updated_at = @updatedAt WHERE name = @name`,
  );
  const archive = lazyStatement(
    db,
    `UPDATE keyring_versions SET status = CASE WHEN version < ? THEN 'archived' ELSE 'active' END WHERE keyring = ?`,
  );
  // One conditional UPDATE: SET expressions see the old row, so last_block_from is the pre-update count.
  const reserve = lazyStatement(
    db,
    `UPDATE keyring_versions
       SET reserved_encryptions = min(reserved_encryptions + @count, @limit), last_block_from = reserved_encryptions
     WHERE keyring = @name AND version = @version AND reserved_encryptions < @limit
     RETURNING last_block_from AS "from", reserved_encryptions AS "to"`,
  );

  const create = db.transaction((k: KeyringRecord): boolean => {
    const scrypt = k.kdf.kind === 'scrypt' ? k.kdf : null;
    const inserted = insertRing().run({
      name: k.name,
      hkdfSalt: Buffer.from(k.hkdfSalt),
      kdf: k.kdf.kind,
      scryptSalt: scrypt ? Buffer.from(scrypt.salt) : null,
      N: scrypt?.N ?? null,
      r: scrypt?.r ?? null,
      p: scrypt?.p ?? null,
      verifier: Buffer.from(k.verifier),
      primaryVersion: k.primaryVersion,
      minDecryptionVersion: k.minDecryptionVersion,
      minEncryptionVersion: k.minEncryptionVersion,
      createdAt: k.createdAt,
      updatedAt: k.updatedAt,
    });
    if (inserted.changes === 0) return false;
    for (const v of k.versions)
      insertVersion().run(k.name, v.version, v.status, v.createdAt, v.reservedEncryptions);
    return true;
  });

  const addVersion = db.transaction((name: string, v: KeyVersionRecord, updatedAt: number): boolean => {
    if (!selectRing().get(name)) return false;
    if (insertVersion().run(name, v.version, v.status, v.createdAt, v.reservedEncryptions).changes === 0)
      return false;
    setPrimary().run(v.version, updatedAt, name);
    return true;
  });

  const applyPolicy = db.transaction((name: string, p: KeyringPolicy): boolean => {
    if (
      setPolicy().run({
        name,
        primaryVersion: p.primaryVersion,
        minDecryptionVersion: p.minDecryptionVersion,
        minEncryptionVersion: p.minEncryptionVersion,
        updatedAt: p.updatedAt,
      }).changes === 0
    )
      return false;
    archive().run(p.archiveBelow, name);
    return true;
  });

  return {
    async load(name) {
      const rows = selectLoaded().all(name) as (KeyringRow & LoadedVersionColumns)[];
      const r = rows[0];
      if (!r) return null;
      const versions = rows
        .filter((v) => v.v_version !== null)
        .map(
          (v): KeyVersionRecord => ({
            version: v.v_version!,
            status: v.v_status as KeyVersionStatus,
            createdAt: v.v_created_at!,
            reservedEncryptions: v.v_reserved_encryptions!,
          }),
        );
      return {
        name: r.name,
        hkdfSalt: new Uint8Array(r.hkdf_salt),
        kdf: toKdf(r),
        verifier: new Uint8Array(r.verifier),
        primaryVersion: r.primary_version,
        minDecryptionVersion: r.min_decryption_version,
        minEncryptionVersion: r.min_encryption_version,
        createdAt: r.created_at,
        updatedAt: r.updated_at,
        versions,
      };
    },
    async create(keyring) {
      return create.immediate(keyring);
    },
    async addVersion(name, version, updatedAt) {
      return addVersion.immediate(name, version, updatedAt);
    },
    async setPolicy(name, policy) {
      return applyPolicy.immediate(name, policy);
    },
    async reserveEncryptions(name, version, count, limit): Promise<EncryptionBlock | null> {
      const row = reserve().get({ name, version, count, limit }) as EncryptionBlock | undefined;
      return row ? { from: row.from, to: row.to } : null;
    },
  };
}

/** A block granted by `reserveEncryptions` inside a transaction, to be kept if that transaction rolls back. */
export interface CarriedReservation {
  name: string;
  version: number;
  count: number;
}

/**
 * Re-adds reservations that a rollback undid. Additive (not "set to"), so it stays right when another
 * process reserved in between; uncapped, since the blocks were already handed out (a count past the limit
 * only means the version is exhausted).
 */
export function sqliteReservationRestorer(db: Database): (carried: readonly CarriedReservation[]) => void {
  const add = lazyStatement(
    db,
    `UPDATE keyring_versions SET reserved_encryptions = reserved_encryptions + ?
     WHERE keyring = ? AND version = ?`,
  );
  return (carried) => {
    for (const c of carried) add().run(c.count, c.name, c.version);
  };
}
