import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIdGenerator, SYSTEM_ACTOR, type Tenant } from '@ax/core';
import { Keyring } from '@ax/crypto';
import { SecretsManager } from '@ax/secrets';
import { openSqliteStore } from '@ax/store-sqlite';
import BetterSqlite3 from 'better-sqlite3';
import { type BenchCase, percentiles } from './harness.js';

const SECRETS = 10_000;
const TENANTS = 10;

/**
 * `secrets.get` on SQLite with 10,000 secrets across 10 tenants (64-byte values): the whole path (scope and
 * key validation, the head+version join, canonical AAD, AES-256-GCM open, UTF-8 decode, event check)
 * against a raw better-sqlite3 point select of a BLOB plus a raw node:crypto decrypt with the same AAD.
 */
export async function secretsCases(): Promise<{ cases: BenchCase[]; cleanup(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'ax-bench-secrets-'));
  const store = await openSqliteStore(join(dir, 'ours.db'));
  const keyring = await Keyring.open({
    store: store.keyring,
    masterKey: `base64:${randomBytes(32).toString('base64')}`,
    env: {},
  });
  const secrets = new SecretsManager({ store, keyring });
  const ids = createIdGenerator();
  const tenants: Tenant[] = [];
  for (let i = 0; i < TENANTS; i++) {
    const t: Tenant = {
      id: ids.next('tenant'),
      slug: `bench-${i}`,
      name: `Tenant ${i}`,
      plan: 'pro',
      status: 'active',
      statusReason: null,
      billingAnchorDay: null,
      createdAt: 1,
      updatedAt: 1,
    };
    await store.tenants.insert(t);
    tenants.push(t);
  }

  const raw = new BetterSqlite3(join(dir, 'raw.db'));
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.exec(
    'CREATE TABLE s (tenant_id TEXT NOT NULL, key TEXT NOT NULL, sealed BLOB NOT NULL, PRIMARY KEY (tenant_id, key)) STRICT, WITHOUT ROWID',
  );
  const rawInsert = raw.prepare('INSERT INTO s VALUES (?, ?, ?)');
  const rawGet = raw.prepare('SELECT sealed FROM s WHERE tenant_id = ? AND key = ?').pluck();
  const rawKey = randomBytes(32);

  const keys: { scope: { tenantId: string; actor: typeof SYSTEM_ACTOR }; key: string }[] = [];
  const value = randomBytes(48).toString('base64'); // 64 characters
  for (let i = 0; i < SECRETS; i++) {
    const tenantId = tenants[i % TENANTS]!.id;
    const key = `service-${i}/api-key`;
    await secrets.set({ tenantId, actor: SYSTEM_ACTOR }, { key: key, value });
    const nonce = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', rawKey, nonce, { authTagLength: 16 });
    c.setAAD(Buffer.from(`${tenantId}/${key}/1`));
    const body = c.update(value, 'utf8');
    c.final();
    rawInsert.run(tenantId, key, Buffer.concat([nonce, body, c.getAuthTag()]));
    keys.push({ scope: { tenantId, actor: SYSTEM_ACTOR }, key });
  }

  const rawRead = (i: number): string => {
    const { scope, key } = keys[i % SECRETS]!;
    const sealed = rawGet.get(scope.tenantId, key) as Buffer;
    const d = createDecipheriv('aes-256-gcm', rawKey, sealed.subarray(0, 12), { authTagLength: 16 });
    d.setAAD(Buffer.from(`${scope.tenantId}/${key}/1`));
    d.setAuthTag(sealed.subarray(sealed.byteLength - 16));
    const out = d.update(sealed.subarray(12, sealed.byteLength - 16)).toString('utf8');
    d.final();
    return out;
  };
  const oursRead = (i: number) => {
    const { scope, key } = keys[i % SECRETS]!;
    return secrets.get(scope, { key });
  };

  // Standalone latency distribution of secrets.get (the target: p50 below 50 µs).
  const spread = (i: number) => (i * 7919) % SECRETS;
  await percentiles(5_000, (i) => oursRead(spread(i)));
  const p = await percentiles(50_000, (i) => oursRead(spread(i)));
  const q = await percentiles(50_000, (i) => rawRead(spread(i)));
  console.log(
    `\nsecrets/get latency over 50,000 reads of ${SECRETS.toLocaleString('en-US')} secrets: ours p50 ${p.p50Us.toFixed(1)} µs, p99 ${p.p99Us.toFixed(1)} µs` +
      ` (target p50 < 50 µs: ${p.p50Us < 50 ? 'met' : 'MISSED'}); raw select + decrypt p50 ${q.p50Us.toFixed(1)} µs, p99 ${q.p99Us.toFixed(1)} µs`,
  );

  let n = 0;
  let m = 0;
  const cases: BenchCase[] = [
    {
      id: 'secrets/get',
      ours: { name: '@ax/secrets get (10k secrets, SQLite)', fn: () => oursRead(spread(n++)) },
      peer: { name: 'better-sqlite3 select + node:crypto decrypt', fn: () => rawRead(spread(m++)) },
    },
  ];
  return {
    cases,
    async cleanup() {
      raw.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
