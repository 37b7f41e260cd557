export { subject } from '@casl/ability';
export {
  type AccessFilter,
  accessFilterOf,
  type ConditionNode,
  type Scalar,
  type SqlCondition,
  type SqlRenderOptions,
  toSql,
} from './access-filter.js';
export type {
  AssignmentArg,
  AssignmentView,
  RoleInputArg,
  RolePatchArg,
  RoleView,
  UserView,
} from './admin.js';
export {
  type AxAbility,
  type AxRawRule,
  type CompiledPolicy,
  compilePolicy,
  createAxAbility,
  type PolicyInput,
  type PrincipalState,
  type RoleDefinition,
  type RuleOrigin,
} from './compile.js';
export { type AnySubject, type Decision, explainPolicy } from './decide.js';
export type { CheckObject, CheckResult } from './check.js';
export type {
  ChangeEvent,
  CheckOutcome,
  DecisionEvent,
  RbacEventBus,
  RbacEvents,
  RbacTx,
} from './events.js';
export { PermissionSet } from './permission-set.js';
export {
  BUILTIN_RESOURCES,
  type BuiltinPermission,
  definePermissions,
  PermissionCatalog,
  type PermissionRule,
  type PermissionsOf,
  type ResourceActions,
  subjectOf,
} from './permissions.js';
export {
  type PolicyTestCase,
  type PolicyTestReport,
  type PolicyTestSpec,
  policyTestSpecSchema,
  runPolicyTests,
} from './policy-test.js';
export {
  createRbac,
  Rbac,
  type RbacCallOptions,
  type RbacOptions,
  type RbacStorePorts,
} from './rbac.js';
export {
  FIELD_OPERATORS,
  FORBIDDEN_KEYS,
  PLACEHOLDERS,
  type RoleInput,
  type RolePatchInput,
  roleInputSchema,
  ruleSchema,
} from './rule-schema.js';
export {
  isSystemRoleName,
  SYSTEM_ROLES,
  type SystemRole,
  systemRole,
} from './system-roles.js';
