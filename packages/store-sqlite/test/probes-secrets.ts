import type { SecretVersionRecord } from '@ax/core';
import type { SecretProbe } from '@ax/store-testkit';
import type BetterSqlite3 from 'better-sqlite3';

interface Row {
  tenant_id: string;
  key: string;
  version: number;
  ciphertext: string;
  key_version: number;
  created_at: number;
  created_by: string;
}

/** Raw secret reads with hand-written SQL on the probe's own connection. */
export function sqliteSecretProbe(raw: BetterSqlite3.Database): SecretProbe {
  return {
    async secretVersionRows(tenantId, key) {
      const rows = raw
        .prepare('SELECT * FROM secret_versions WHERE tenant_id = ? AND key = ? ORDER BY version')
        .all(tenantId, key) as Row[];
      return rows.map(
        (r): SecretVersionRecord => ({
          tenantId: r.tenant_id,
          key: r.key,
          version: r.version,
          ciphertext: r.ciphertext,
          keyVersion: r.key_version,
          createdAt: r.created_at,
          createdBy: r.created_by,
        }),
      );
    },
    async secretCurrentVersion(tenantId, key) {
      const r = raw
        .prepare('SELECT current_version FROM secrets WHERE tenant_id = ? AND key = ?')
        .get(tenantId, key) as { current_version: number } | undefined;
      return r ? r.current_version : null;
    },
  };
}
