export { type Clock, ManualClock, systemClock } from './clock.js';
export {
  type Actor,
  actorSchema,
  createContext,
  type ExecutionContext,
  executionContextSchema,
  SYSTEM_ACTOR,
} from './context.js';
export {
  DEFAULT_TENANT_SLUG,
  slugSchema,
  type Tenant,
  type TenantStatus,
  tenantStatusSchema,
  type User,
  type UserStatus,
  userStatusSchema,
} from './entities.js';
export {
  AxError,
  type AxErrorJSON,
  type AxErrorOptions,
  ConflictError,
  CryptoError,
  ERROR_CODES,
  type ErrorCode,
  type ErrorDetails,
  ForbiddenError,
  IntegrityError,
  isAxError,
  isSecretKey,
  NotFoundError,
  type QuotaExceededDetails,
  QuotaExceededError,
  RateLimitExceededError,
  redactSecrets,
  SECRET_KEY_PATTERNS,
  TenantSuspendedError,
  toAxError,
  UnauthorizedError,
  ValidationError,
  type ValidationIssue,
} from './errors.js';
export {
  createIdGenerator,
  ID_PREFIXES,
  type IdGenerator,
  type IdKind,
  idSchema,
  isId,
  leaseIdSchema,
  PLATFORM_TENANT_ID,
  tenantIdSchema,
  userIdSchema,
} from './ids.js';
export { type CommitScope, onCommit, openCommitScope } from './commit-hooks.js';
export {
  type AfterCommitListener,
  EventBus,
  type EventBusOptions,
  type InTransactionListener,
} from './events.js';
export type { MacSigner } from './mac.js';
export type {
  AuditActorType,
  AuditAnchor,
  AuditArchive,
  AuditCheckpoint,
  AuditHead,
  AuditOutcome,
  AuditQueryFilter,
  AuditQueryPage,
  AuditRetentionPolicy,
  AuditRow,
  AuditStore,
} from './store/audit.js';
export type {
  EncryptionBlock,
  KeyringPolicy,
  KeyringRecord,
  KeyringStore,
  KeyVersionRecord,
  KeyVersionStatus,
  MasterKeyKdf,
} from './store/keyring.js';
export type {
  CiphertextSwap,
  SecretCursor,
  SecretHead,
  SecretStore,
  SecretVersionMeta,
  SecretVersionRecord,
  SecretWrite,
} from './store/secrets.js';
export type {
  AcquireOutcome,
  ConsumeOutcome,
  ConsumeRequest,
  DuePeriod,
  Lease,
  QuotaEnforcement,
  QuotaKind,
  QuotaPeriodRecord,
  QuotaSetting,
  QuotaState,
  QuotaStore,
  RefundOutcome,
  ReleaseOutcome,
} from './store/quota.js';
export type {
  PolicySnapshot,
  RbacStore,
  RoleAssignment,
  RolePatch,
  RoleRecord,
  StoredRule,
} from './store/rbac.js';
export type {
  RateLimiter,
  RateLimiterOptions,
  RateLimiterResult,
  RateLimitStore,
} from './store/rate-limits.js';
export type { Store, StorePorts, Transactional, TransactionOptions } from './store/store.js';
export type { PageRequest, TenantPatch, TenantStore } from './store/tenants.js';
export type { UserPatch, UserStore } from './store/users.js';
export { parseInput } from './validate.js';
