import { type AuditProbe, auditStoreSuite } from './audit-store-suite.js';
import { type KeyringProbe, keyringStoreSuite, keyringTransactionSuite } from './keyring-store-suite.js';
import { type QuotaProbe, quotaStoreSuite } from './quota-store-suite.js';
import { rateLimitStoreSuite } from './rate-limit-store-suite.js';
import { type RbacProbe, rbacStoreSuite } from './rbac-store-suite.js';
import { type SecretProbe, secretStoreSuite } from './secret-store-suite.js';
import { tenantStoreSuite } from './tenant-store-suite.js';
import { transactionSuite } from './transaction-suite.js';
import type { CoreProbe, StoreFactory, TestApi } from './types.js';
import { userStoreSuite } from './user-store-suite.js';

/** Every probe: what {@link coreStoreSuites} needs from an adapter that implements every port. */
export type FullProbe = CoreProbe & AuditProbe & KeyringProbe & QuotaProbe & RbacProbe & SecretProbe;

/** Runs every suite against an adapter implementing every port of `Store`. */
export function coreStoreSuites(t: TestApi, make: StoreFactory<FullProbe>): void {
  transactionSuite(t, make);
  tenantStoreSuite(t, make);
  userStoreSuite(t, make);
  keyringStoreSuite(t, make);
  keyringTransactionSuite(t, make);
  secretStoreSuite(t, make);
  rbacStoreSuite(t, make);
  quotaStoreSuite(t, make);
  auditStoreSuite(t, make);
  rateLimitStoreSuite(t, make);
}
