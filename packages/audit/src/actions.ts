/**
 * The permission vocabulary of @ax/rbac's built-in catalog (`resource.action`). Each is an audit action too,
 * so a guarded act is recorded under the permission that allowed it (`workflow.execute`, never a synonym).
 */
export const PERMISSION_ACTIONS = [
  'workflow.read',
  'workflow.write',
  'workflow.execute',
  'workflow.delete',
  'agent.read',
  'agent.write',
  'agent.delete',
  'user.read',
  'user.write',
  'user.delete',
  'role.read',
  'role.write',
  'role.assign',
  'tenant.read',
  'tenant.write',
  'tenant.suspend',
  'secret.read',
  'secret.write',
  'secret.delete',
  'quota.read',
  'quota.write',
  'admin.manage',
  'audit.read',
  'audit.export',
  'audit.verify',
  'backup.create',
  'backup.restore',
  'backup.verify',
] as const;

/**
 * Phases of a guarded action: `<action>.started`, `.completed`, `.failed` and `.denied` are known for every
 * known action (built-in or registered), e.g. `workflow.execute.started`.
 */
export const ACTION_PHASES = ['started', 'completed', 'failed', 'denied'] as const;

/**
 * Names older chains may hold, with the name now used. Verification never checks names against the catalog,
 * so chains holding them still verify; new events use the current name.
 */
export const RENAMED_ACTIONS: Readonly<Record<string, string>> = Object.freeze({
  'workflow.run': 'workflow.execute',
});

/**
 * The action catalog: the permission vocabulary, the seed design's actions (with `workflow.execute` for
 * its `workflow.run`), plus quota, policy and audit-verification actions. Apps register their own with
 * `actions` in {@link AuditLogOptions}.
 */
export const AUDIT_ACTIONS = [
  ...PERMISSION_ACTIONS,
  // seed design (without those above)
  'workflow.create',
  'workflow.update',
  'workflow.cancel',
  'user.create',
  'user.update',
  'user.suspend',
  'user.login',
  'user.login.failed',
  'user.logout',
  'role.create',
  'role.update',
  'role.delete',
  'role.unassign',
  'tenant.create',
  'tenant.update',
  'tenant.delete',
  'secret.create',
  'secret.rotate',
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

/** True when `action` is in `catalog`, or is `<action in catalog>.<phase>` (see {@link ACTION_PHASES}). */
export function isKnownAction(catalog: ReadonlySet<string>, action: string): boolean {
  if (catalog.has(action)) return true;
  const dot = action.lastIndexOf('.');
  return (
    dot > 0 &&
    (ACTION_PHASES as readonly string[]).includes(action.slice(dot + 1)) &&
    catalog.has(action.slice(0, dot))
  );
}
