import { join } from 'node:path';
import type { FullProbe, StoreFixture } from '@ax/store-testkit';
import { openSqliteStore, type SqliteStore } from '../src/index.js';
import { sqliteAuditProbe } from './probes-audit.js';
import { sqliteKeyringProbe } from './probes-keyring.js';
import { sqliteRbacProbe } from './probes-rbac.js';
import { sqliteSecretProbe } from './probes-secrets.js';
import { sqliteQuotaProbe } from './probes-tenancy.js';
import { tempDir } from './probes.js';

/** A fresh file-backed store with every probe (what `coreStoreSuites` takes). */
export async function sqliteFullFixture(): Promise<StoreFixture<FullProbe> & { store: SqliteStore }> {
  const tmp = tempDir();
  const filename = join(tmp.dir, 'test.db');
  const store = await openSqliteStore(filename);
  const rbac = sqliteRbacProbe(filename);
  const quota = sqliteQuotaProbe(filename);
  const audit = sqliteAuditProbe(filename);
  const probe: FullProbe = {
    ...audit,
    ...quota,
    ...rbac,
    ...sqliteKeyringProbe(rbac.raw),
    ...sqliteSecretProbe(rbac.raw),
  };
  return {
    store,
    probe,
    async cleanup() {
      for (const p of [rbac, quota, audit]) p.raw.close();
      await store.close();
      tmp.remove();
    },
  };
}
