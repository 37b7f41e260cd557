import { subject as tag } from '@casl/ability';
import { type ConditionNode, accessFilterOf } from './access-filter.js';
import type { CompiledPolicy } from './compile.js';
import { type Decision, explainPolicy } from './decide.js';
import type { CheckOutcome } from './events.js';
import type { PermissionCatalog } from './permissions.js';

/** What {@link Rbac.check} answers. */
export interface CheckResult {
  /**
   * `allowed` or `denied`; without an object, `conditional` when the grant holds only for objects matching
   * `conditions` (or only on some fields): ask again with the object to decide.
   */
  decision: CheckOutcome;
  /** The permission asked about (e.g. `article.update`). */
  permission: string;
  /** For `conditional`: the objects the grant covers, as a storage-neutral condition tree. */
  conditions?: ConditionNode;
  /** For `conditional` by fields: the fields an allow rule limits the grant to, if any. */
  fields?: string[];
  /** For `conditional` by fields: fields a deny rule takes out of the grant, if any. */
  deniedFields?: string[];
  /** Why, in one sentence. */
  reason: string;
  /** The deciding rule, its role and source (a type-level explanation when no object was given). */
  explanation: Decision;
}

/**
 * True when the policy grants `action` on every object and field of `subject`: the same answer as
 * `checkPolicy(…).decision === 'allowed'` without building an explanation. Denies come after every allow in a
 * compiled policy (they win), so any deny that applies, conditional or limited to fields, makes the grant
 * less than whole.
 */
export function holdsWhole(policy: CompiledPolicy, action: string, subject: string): boolean {
  const rules = policy.ability.possibleRulesFor(action, subject);
  return !rules.some((r) => r.inverted) && rules.some((r) => !r.conditions && !r.fields);
}

/** A JSON object to check a permission on (e.g. the article being edited). */
export type CheckObject = Record<string, unknown>;

/**
 * Decides `permission` on `object` (allowed or denied), or, without an object, whether the grant is
 * unconditional (`allowed`), absent (`denied`) or holds only for some objects or fields (`conditional`).
 */
export function checkPolicy(
  policy: CompiledPolicy,
  catalog: PermissionCatalog<string>,
  permission: string,
  object?: CheckObject,
): CheckResult {
  const { action, subject } = catalog.toRule(permission);
  if (object !== undefined) {
    // a fresh tagged copy: CASL's `subject()` marks the object it is given
    const explanation = explainPolicy(policy, action, tag(subject, { ...object }));
    return {
      decision: explanation.allowed ? 'allowed' : 'denied',
      permission,
      reason: explanation.reason,
      explanation,
    };
  }
  const explanation = explainPolicy(policy, action, subject);
  if (!explanation.allowed)
    return { decision: 'denied', permission, reason: explanation.reason, explanation };
  const filter = accessFilterOf(policy.ability, action, subject);
  if (filter.kind === 'none') {
    return { decision: 'denied', permission, reason: `no object of ${subject} is allowed`, explanation };
  }
  if (filter.kind === 'conditional') {
    return {
      decision: 'conditional',
      permission,
      conditions: filter.where,
      reason: `allowed only for ${subject} objects matching the conditions`,
      explanation,
    };
  }
  // possibleRulesFor, not rulesFor: without a field, rulesFor leaves out the denies limited to fields
  const rules = policy.ability.possibleRulesFor(action, subject);
  const whole = rules.some((r) => !r.inverted && !r.conditions && !r.fields);
  const deniedFields = rules.filter((r) => r.inverted && r.fields).flatMap((r) => [r.fields!].flat());
  if (whole && deniedFields.length === 0) {
    return { decision: 'allowed', permission, reason: explanation.reason, explanation };
  }
  const fields = whole
    ? undefined
    : [...new Set(rules.filter((r) => !r.inverted && r.fields).flatMap((r) => [r.fields!].flat()))];
  return {
    decision: 'conditional',
    permission,
    conditions: { op: 'true' },
    ...(fields ? { fields } : {}),
    ...(deniedFields.length > 0 ? { deniedFields: [...new Set(deniedFields)] } : {}),
    reason: `allowed only on some fields of ${subject}`,
    explanation,
  };
}
