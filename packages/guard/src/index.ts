export {
  type ConsumedQuota,
  createGuard,
  Guard,
  type GuardedRun,
  type GuardedWork,
  type GuardOptions,
} from './guard.js';
export type {
  GuardAudit,
  GuardAuditEvent,
  GuardCheck,
  GuardLease,
  GuardPorts,
  GuardQuotas,
  GuardRateLimits,
  GuardRbac,
  GuardTenants,
  TxOption,
} from './ports.js';
export { PROBLEM_CONTENT_TYPE, type ProblemDocument, type ProblemResponse, problemOf } from './problem.js';
export {
  type AuthorizeSpec,
  authorizeSpecSchema,
  GUARD_EVENT_SUFFIXES,
  type GuardSpec,
  guardAuditActions,
  guardSpecSchema,
  type ParsedGuardSpec,
} from './spec.js';
