// Child process for the export memory measurement (plain JS on the built packages, so no TypeScript
// loader inflates the figure): exports one tenant of a seeded database to JSONL with a
// throwaway signer key and prints {count, maxRssMb, seconds} as its last line.
import { randomBytes } from 'node:crypto';
import { AuditLog, exportAuditToFile } from '@ax/audit';
import { Keyring, MemoryKeyringStore } from '@ax/crypto';
import { openSqliteStore } from '@ax/store-sqlite';

const [file, tenantId, out] = process.argv.slice(2);
const keyring = await Keyring.open({
  store: new MemoryKeyringStore(),
  masterKey: `base64:${randomBytes(32).toString('base64')}`,
});
const store = await openSqliteStore(file);
const log = new AuditLog({ store, signer: keyring.macSigner('audit.chain') });
const t0 = performance.now();
const manifest = await exportAuditToFile(log, tenantId, out, { format: 'jsonl' });
const seconds = (performance.now() - t0) / 1000;
await store.close();
// maxRSS is in kilobytes
const maxRssMb = process.resourceUsage().maxRSS / 1024;
console.log(JSON.stringify({ count: manifest.count, maxRssMb, seconds }));
