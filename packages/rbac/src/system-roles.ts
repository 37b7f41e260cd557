import type { BuiltinPermission } from './permissions.js';

/** A role defined in code: immutable, visible in every tenant. */
export interface SystemRole {
  readonly name: string;
  readonly description: string;
  readonly permissions: readonly BuiltinPermission[];
}

const READ_BASICS = ['tenant.read', 'user.read', 'role.read', 'quota.read'] as const;

/**
 * The system roles. Their permissions are listed one by one (no wildcards except `admin`'s `*`), so what a
 * role grants is visible here and changes only with a release.
 */
export const SYSTEM_ROLES: readonly SystemRole[] = Object.freeze(
  [
    {
      name: 'admin',
      description: 'everything within its tenant',
      permissions: ['*'],
    },
    {
      name: 'developer',
      description: 'builds and runs workflows and agents, manages their secrets',
      permissions: [
        ...READ_BASICS,
        'workflow.read',
        'workflow.write',
        'workflow.execute',
        'workflow.delete',
        'agent.read',
        'agent.write',
        'agent.delete',
        'secret.read',
        'secret.write',
      ],
    },
    {
      name: 'viewer',
      description: 'reads workflows and agents',
      permissions: [...READ_BASICS, 'workflow.read', 'agent.read'],
    },
    {
      name: 'auditor',
      description: 'reads, exports and verifies the audit log; verifies backups',
      permissions: [...READ_BASICS, 'audit.read', 'audit.export', 'audit.verify', 'backup.verify'],
    },
  ].map((r) => Object.freeze({ ...r, permissions: Object.freeze(r.permissions) })) as SystemRole[],
);

const BY_NAME = new Map(SYSTEM_ROLES.map((r) => [r.name, r]));

/** The system role of that name, if any. */
export function systemRole(name: string): SystemRole | undefined {
  return BY_NAME.get(name);
}

/** True when `name` is a system role's name. */
export function isSystemRoleName(name: string): boolean {
  return BY_NAME.has(name);
}
