export { type AuditProbe, auditStoreSuite } from './audit-store-suite.js';
export { makeTenant, makeUser, testId, withFixture } from './fixtures.js';
export {
  type KeyringProbe,
  keyringStoreSuite,
  keyringTransactionSuite,
  makeKeyring,
} from './keyring-store-suite.js';
export { makeSecretVersion, type SecretProbe, secretStoreSuite } from './secret-store-suite.js';
export { type QuotaProbe, quotaStoreSuite } from './quota-store-suite.js';
export { rateLimitStoreSuite } from './rate-limit-store-suite.js';
export { makeRole, type RbacProbe, rbacStoreSuite } from './rbac-store-suite.js';
export { tenantStoreSuite } from './tenant-store-suite.js';
export { transactionSuite } from './transaction-suite.js';
export type {
  CoreProbe,
  PortsOf,
  StoreFactory,
  StoreFixture,
  TestApi,
  TransactionalPorts,
} from './types.js';
export { userStoreSuite } from './user-store-suite.js';

export { coreStoreSuites, type FullProbe } from './core-store-suites.js';
