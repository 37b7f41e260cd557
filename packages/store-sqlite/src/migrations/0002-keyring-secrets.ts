import type { Migration } from '../migrate.js';

/**
 * Crypto keyring state (no key material: keys are derived from the master key) and per-tenant secrets with
 * KV-v2-like versions. Secret values are stored only as ciphertext.
 */
export const keyringSecretsMigration: Migration = {
  id: 2,
  name: 'keyring-secrets',
  sql: `
CREATE TABLE keyrings (
  name TEXT PRIMARY KEY,
  hkdf_salt BLOB NOT NULL,
  kdf TEXT NOT NULL CHECK (kdf IN ('raw', 'scrypt')),
  scrypt_salt BLOB,
  scrypt_n INTEGER,
  scrypt_r INTEGER,
  scrypt_p INTEGER,
  verifier BLOB NOT NULL,
  primary_version INTEGER NOT NULL,
  min_decryption_version INTEGER NOT NULL,
  min_encryption_version INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  CHECK (kdf = 'raw' OR (scrypt_salt IS NOT NULL AND scrypt_n > 0 AND scrypt_r > 0 AND scrypt_p > 0)),
  CHECK (min_decryption_version <= min_encryption_version AND min_encryption_version <= primary_version)
) STRICT;

CREATE TABLE keyring_versions (
  keyring TEXT NOT NULL REFERENCES keyrings (name) ON DELETE CASCADE,
  version INTEGER NOT NULL CHECK (version >= 1),
  status TEXT NOT NULL CHECK (status IN ('active', 'archived')),
  created_at INTEGER NOT NULL,
  reserved_encryptions INTEGER NOT NULL DEFAULT 0 CHECK (reserved_encryptions >= 0),
  last_block_from INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (keyring, version)
) STRICT;

CREATE TABLE secrets (
  tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  current_version INTEGER NOT NULL CHECK (current_version >= 1),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  updated_by TEXT NOT NULL,
  PRIMARY KEY (tenant_id, key)
) STRICT, WITHOUT ROWID;

CREATE TABLE secret_versions (
  tenant_id TEXT NOT NULL,
  key TEXT NOT NULL,
  version INTEGER NOT NULL CHECK (version >= 1),
  ciphertext TEXT NOT NULL CHECK (ciphertext LIKE 'ax:%'),
  key_version INTEGER NOT NULL CHECK (key_version >= 1),
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  PRIMARY KEY (tenant_id, key, version),
  FOREIGN KEY (tenant_id, key) REFERENCES secrets (tenant_id, key) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE INDEX secret_versions_by_key_version ON secret_versions (key_version, tenant_id, key, version);
`,
};
