export type { EventBase, TenancyEventBus, TenancyEvents } from './events.js';
export { type BillingPeriod, billingPeriodAt, nextBillingPeriod } from './periods.js';
export {
  BUILT_IN_PLANS,
  BUILT_IN_QUOTAS,
  limitSchema,
  PlanCatalog,
  type PlanDefinition,
  planNameSchema,
  type QuotaDefinition,
  type QuotaDefinitionInput,
  quotaNameSchema,
} from './plans.js';
export type { TenancyPorts, TxOptions } from './ports.js';
export {
  type AcquireSlotInput,
  type ConsumeInput,
  type OverrideInput,
  QuotaService,
  type RefundInput,
  type RefundResult,
  type ReleaseInput,
  type ReleaseSlotInput,
  type RenewInput,
} from './quota-service.js';
export {
  type ConsumeResult,
  DEFAULT_IDEMPOTENCY_TTL_MS,
  type HeldLease,
  type QuotaUsageItem,
  SOFT_THRESHOLDS,
  type TenantUsage,
} from './quota-types.js';
export {
  DEFAULT_RATE_LIMITS,
  memoryRateLimits,
  type RateLimitOptions,
  type RateLimitResult,
  type RateLimitRule,
  RateLimitService,
} from './rate-limits.js';
export { createTenancy, type Tenancy, type TenancyOptions } from './tenancy.js';
export {
  type ChangePlanInput,
  type CreateTenantInput,
  type ListTenantsInput,
  type SuspendTenantInput,
  type TenantPage,
  TenantService,
  type UpdateTenantInput,
} from './tenant-service.js';
