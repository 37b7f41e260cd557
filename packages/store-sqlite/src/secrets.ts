import type {
  CiphertextSwap,
  SecretCursor,
  SecretHead,
  SecretStore,
  SecretVersionMeta,
  SecretVersionRecord,
  SecretWrite,
} from '@ax/core';
import type { Database } from 'better-sqlite3';
import { lazyStatement } from './lazy-statement.js';

interface HeadRow {
  tenant_id: string;
  key: string;
  current_version: number;
  created_at: number;
  updated_at: number;
  created_by: string;
  updated_by: string;
}

interface VersionRow {
  tenant_id: string;
  key: string;
  version: number;
  ciphertext: string;
  key_version: number;
  created_at: number;
  created_by: string;
}

function toHead(r: HeadRow): SecretHead {
  return {
    tenantId: r.tenant_id,
    key: r.key,
    currentVersion: r.current_version,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    createdBy: r.created_by,
    updatedBy: r.updated_by,
  };
}

function toVersion(r: VersionRow): SecretVersionRecord {
  return {
    tenantId: r.tenant_id,
    key: r.key,
    version: r.version,
    ciphertext: r.ciphertext,
    keyVersion: r.key_version,
    createdAt: r.created_at,
    createdBy: r.created_by,
  };
}

// LIKE treats % and _ as wildcards; prefixes are matched with a range instead: key >= p AND key < p + U+FFFF.
const PREFIX_END = '\uffff';

/** SecretStore on one better-sqlite3 connection. */
export function sqliteSecretStore(db: Database): SecretStore {
  const current = lazyStatement(
    db,
    `SELECT v.* FROM secrets s JOIN secret_versions v
       ON v.tenant_id = s.tenant_id AND v.key = s.key AND v.version = s.current_version
     WHERE s.tenant_id = ? AND s.key = ?`,
  );
  const version = lazyStatement(
    db,
    'SELECT * FROM secret_versions WHERE tenant_id = ? AND key = ? AND version = ?',
  );
  const head = lazyStatement(db, 'SELECT * FROM secrets WHERE tenant_id = ? AND key = ?');
  const insertHead = lazyStatement(
    db,
    `INSERT INTO secrets (tenant_id, key, current_version, created_at, updated_at, created_by, updated_by)
     VALUES (@tenantId, @key, @version, @createdAt, @createdAt, @createdBy, @createdBy)`,
  );
  const moveHead = lazyStatement(
    db,
    `UPDATE secrets SET current_version = @version, updated_at = @createdAt, updated_by = @createdBy
     WHERE tenant_id = @tenantId AND key = @key AND current_version = @expected`,
  );
  const insertVersion = lazyStatement(
    db,
    `INSERT INTO secret_versions (tenant_id, key, version, ciphertext, key_version, created_at, created_by)
     VALUES (@tenantId, @key, @version, @ciphertext, @keyVersion, @createdAt, @createdBy)`,
  );
  const prune = lazyStatement(
    db,
    'DELETE FROM secret_versions WHERE tenant_id = ? AND key = ? AND version <= ?',
  );
  const page = lazyStatement(
    db,
    'SELECT * FROM secrets WHERE tenant_id = ? AND key > ? AND key >= ? AND key < ? ORDER BY key LIMIT ?',
  );
  const versions = lazyStatement(
    db,
    `SELECT tenant_id, key, version, key_version, created_at, created_by FROM secret_versions
     WHERE tenant_id = ? AND key = ? ORDER BY version`,
  );
  const remove = lazyStatement(db, 'DELETE FROM secrets WHERE tenant_id = ? AND key = ?');
  const removeIf = lazyStatement(
    db,
    'DELETE FROM secrets WHERE tenant_id = ? AND key = ? AND current_version = ?',
  );
  const stale = lazyStatement(
    db,
    `SELECT * FROM secret_versions WHERE key_version <> ? AND (tenant_id, key, version) > (?, ?, ?)
     ORDER BY tenant_id, key, version LIMIT ?`,
  );
  const swap = lazyStatement(
    db,
    `UPDATE secret_versions SET ciphertext = @to, key_version = @keyVersion
     WHERE tenant_id = @tenantId AND key = @key AND version = @version AND ciphertext = @from`,
  );
  const counts = lazyStatement(
    db,
    'SELECT key_version AS keyVersion, count(*) AS count FROM secret_versions GROUP BY key_version ORDER BY key_version',
  );

  const write = db.transaction((w: SecretWrite): boolean => {
    const v = w.version;
    if (v.version !== w.expectedVersion + 1) {
      throw new RangeError(
        `secret write: version ${v.version} must be expectedVersion + 1 (${w.expectedVersion + 1})`,
      );
    }
    const row = { ...v, expected: w.expectedVersion };
    if (w.expectedVersion === 0) {
      if (head().get(v.tenantId, v.key)) return false;
      insertHead().run(row);
    } else if (moveHead().run(row).changes === 0) {
      return false;
    }
    insertVersion().run(row);
    prune().run(v.tenantId, v.key, v.version - w.keep);
    return true;
  });

  const swapAll = db.transaction((swaps: readonly CiphertextSwap[]): number => {
    let applied = 0;
    for (const s of swaps) applied += swap().run(s).changes;
    return applied;
  });

  return {
    async getCurrent(tenantId, key) {
      const r = current().get(tenantId, key) as VersionRow | undefined;
      return r ? toVersion(r) : null;
    },
    async getManyCurrent(tenantId, keys) {
      const out: SecretVersionRecord[] = [];
      const stmt = current();
      for (const key of new Set(keys)) {
        const r = stmt.get(tenantId, key) as VersionRow | undefined;
        if (r) out.push(toVersion(r));
      }
      return out;
    },
    async getVersion(tenantId, key, v) {
      const r = version().get(tenantId, key, v) as VersionRow | undefined;
      return r ? toVersion(r) : null;
    },
    async head(tenantId, key) {
      const r = head().get(tenantId, key) as HeadRow | undefined;
      return r ? toHead(r) : null;
    },
    async write(w) {
      return write.immediate(w);
    },
    async list(tenantId, p) {
      const prefix = p.prefix ?? '';
      const rows = page().all(tenantId, p.afterKey ?? '', prefix, prefix + PREFIX_END, p.limit) as HeadRow[];
      return rows.map(toHead);
    },
    async versions(tenantId, key) {
      return (versions().all(tenantId, key) as Omit<VersionRow, 'ciphertext'>[]).map(
        (r): SecretVersionMeta => ({
          tenantId: r.tenant_id,
          key: r.key,
          version: r.version,
          keyVersion: r.key_version,
          createdAt: r.created_at,
          createdBy: r.created_by,
        }),
      );
    },
    async delete(tenantId, key, expectedVersion) {
      const res =
        expectedVersion === undefined
          ? remove().run(tenantId, key)
          : removeIf().run(tenantId, key, expectedVersion);
      return res.changes > 0;
    },
    async listForRewrap(keyVersion, after: SecretCursor | null, limit) {
      const c = after ?? { tenantId: '', key: '', version: 0 };
      return (stale().all(keyVersion, c.tenantId, c.key, c.version, limit) as VersionRow[]).map(toVersion);
    },
    async swapCiphertexts(swaps) {
      return swaps.length === 0 ? 0 : swapAll.immediate(swaps);
    },
    async countByKeyVersion() {
      return counts().all() as { keyVersion: number; count: number }[];
    },
  };
}
