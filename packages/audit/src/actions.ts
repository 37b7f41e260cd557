/**
 * The action catalog: the seed design's 27 actions, plus quota, policy and audit-verification actions.
 * Apps register their own with `actions` in {@link AuditLogOptions}.
 */
export const AUDIT_ACTIONS = [
  // seed design (27)
  'workflow.create',
  'workflow.update',
  'workflow.delete',
  'workflow.run',
  'workflow.cancel',
  'user.create',
  'user.update',
  'user.delete',
  'user.suspend',
  'user.login',
  'user.login.failed',
  'user.logout',
  'role.create',
  'role.update',
  'role.delete',
  'role.assign',
  'role.unassign',
  'tenant.create',
  'tenant.update',
  'tenant.suspend',
  'tenant.delete',
  'secret.create',
  'secret.read',
  'secret.rotate',
  'secret.delete',
  'backup.create',
  'backup.restore',
  'audit.export',
  // added by @ax
  'quota.consume',
  'quota.exceeded',
  'quota.update',
  'policy.decision',
  'policy.denied',
  'policy.update',
  'tenant.reactivate',
  'tenant.purge',
  'secret.rewrap',
  'audit.verify',
  'audit.checkpoint',
  'audit.prune',
  'command.run',
] as const;

/** An action from the built-in catalog. */
export type BuiltinAuditAction = (typeof AUDIT_ACTIONS)[number];

/** Actions a compliance report lists as privileged: role changes, secret reads, restores. */
export const PRIVILEGED_ACTIONS: readonly string[] = [
  'role.create',
  'role.update',
  'role.delete',
  'role.assign',
  'role.unassign',
  'secret.read',
  'secret.delete',
  'backup.restore',
  'tenant.delete',
  'tenant.purge',
  'audit.prune',
];

/** Lowercase dotted names: `area.verb` or deeper, letters, digits, `-` and `_`. */
export const ACTION_PATTERN = /^[a-z][a-z0-9_-]*(\.[a-z][a-zA-Z0-9_-]*)+$/;
