import { TenantSuspendedError } from '@ax/core';
import type { AxRawRule, CompiledPolicy, PrincipalState, RuleOrigin } from './compile.js';

/** A CASL subject: a subject type such as `'Workflow'`, or an object tagged with `subject('Workflow', obj)`. */
// biome-ignore lint/suspicious/noExplicitAny: CASL's own subject type is this wide
export type AnySubject = string | Record<PropertyKey, any>;

/** The answer to "why": what decided, from which role, and the reason. */
export interface Decision {
  allowed: boolean;
  action: string;
  /** The subject type checked (e.g. `Workflow`). */
  subject: string;
  field: string | null;
  /** The rule that decided, or null when none applied (denied by default). Frozen. */
  rule: Readonly<AxRawRule> | null;
  /** The role holding that rule; null for super-admin, system and default decisions. */
  role: string | null;
  /** The permission string the rule came from, when it came from one. */
  permission: string | null;
  source: RuleOrigin['source'] | 'default';
  /** The rule's own `reason` when it has one, else a sentence saying what decided. */
  reason: string;
}

const STATE_REASON: Record<Exclude<PrincipalState, 'active'>, string> = {
  'user-suspended': 'the user is suspended',
  'user-unknown': 'no such user',
  'tenant-suspended': 'the tenant is suspended',
  'tenant-unknown': 'no such tenant',
  'unsupported-actor': 'this actor holds no roles',
  'platform-only': 'installation-wide actions need a platform super-admin',
};

/** Allowed or not, without building an explanation: the hot path. */
export function allows(policy: CompiledPolicy, action: string, subject: AnySubject, field?: string): boolean {
  return policy.ability.can(action, subject as never, field as never);
}

/** Explains one check against a compiled policy. */
export function explainPolicy(
  policy: CompiledPolicy,
  action: string,
  subject: AnySubject,
  field?: string,
): Decision {
  const ability = policy.ability;
  const subjectType = String(ability.detectSubjectType(subject as never));
  const base = { action, subject: subjectType, field: field ?? null };
  const rule = ability.relevantRuleFor(action, subject as never, field as never);
  if (!rule) {
    const reason =
      policy.state === 'tenant-suspended' && policy.tenantReason
        ? `${STATE_REASON[policy.state]}: ${policy.tenantReason}`
        : policy.state !== 'active'
          ? STATE_REASON[policy.state]
          : policy.roles.length === 0
            ? 'the user holds no role in this tenant'
            : `no rule of roles ${policy.roles.join(', ')} allows ${action} on ${subjectType}${field ? `.${field}` : ''}`;
    return {
      ...base,
      allowed: false,
      rule: null,
      role: null,
      permission: null,
      source: 'default',
      reason,
    };
  }
  const raw = rule.origin as AxRawRule;
  const origin = policy.origins.get(raw) ?? {
    role: null,
    permission: null,
    source: 'role' as const,
  };
  const allowed = !rule.inverted;
  const from =
    origin.source === 'role'
      ? `role ${origin.role}${origin.permission ? ` (permission ${origin.permission})` : ''}`
      : origin.source === 'super-admin'
        ? 'the platform super-admin flag'
        : 'the system operator';
  const conditional =
    allowed && rule.conditions && typeof subject === 'string' ? ' for matching objects' : '';
  const reason = rule.reason ?? `${allowed ? 'allowed' : 'denied'}${conditional} by ${from}`;
  return {
    ...base,
    allowed,
    rule: raw,
    role: origin.role,
    permission: origin.permission,
    source: origin.source,
    reason,
  };
}

/**
 * Throws {@link TenantSuspendedError} (code TENANT_SUSPENDED, with the tenant's reason) when the policy was
 * denied because its tenant is suspended or deleted: every refusing path reports that, never FORBIDDEN.
 */
export function assertTenantActive(policy: CompiledPolicy, tenantId: string): void {
  if (policy.state === 'tenant-suspended') throw new TenantSuspendedError(tenantId, policy.tenantReason);
}
