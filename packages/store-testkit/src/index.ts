export { type AuditProbe, auditStoreSuite } from './audit-store-suite.js';
export { makeTenant, makeUser, testId, withFixture } from './fixtures.js';
export { type KeyringProbe, keyringStoreSuite, makeKeyring } from './keyring-store-suite.js';
export { makeSecretVersion, type SecretProbe, secretStoreSuite } from './secret-store-suite.js';
export { type QuotaProbe, quotaStoreSuite } from './quota-store-suite.js';
export { makeRole, type RbacProbe, rbacStoreSuite } from './rbac-store-suite.js';
export { tenantStoreSuite } from './tenant-store-suite.js';
export { transactionSuite } from './transaction-suite.js';
export type {
  CoreProbe,
  StoreFactory,
  StoreFixture,
  TestApi,
} from './types.js';
export { userStoreSuite } from './user-store-suite.js';

import { tenantStoreSuite } from './tenant-store-suite.js';
import { transactionSuite } from './transaction-suite.js';
import type { CoreProbe, StoreFactory, TestApi } from './types.js';
import { userStoreSuite } from './user-store-suite.js';

/** Runs every core suite. Later domains add theirs here. */
export function coreStoreSuites(t: TestApi, make: StoreFactory<CoreProbe>): void {
  transactionSuite(t, make);
  tenantStoreSuite(t, make);
  userStoreSuite(t, make);
}
