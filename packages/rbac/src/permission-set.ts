import { type Clock, type ExecutionContext, ForbiddenError } from '@ax/core';
import { permittedFieldsOf } from '@casl/ability/extra';
import { type AccessFilter, accessFilterOf } from './access-filter.js';
import type { CompiledPolicy, PrincipalState } from './compile.js';
import { type CheckObject, type CheckResult, checkPolicy, holdsWhole } from './check.js';
import { type AnySubject, allows, assertTenantActive, type Decision, explainPolicy } from './decide.js';
import type { CheckOutcome, RbacEventBus } from './events.js';
import type { PermissionCatalog } from './permissions.js';

/**
 * The permission set of one actor in one tenant, with synchronous checks: what `await rbac.permissions(ctx)`
 * returns. It answers from the cached, frozen set current when it was obtained, so take one per request (as
 * with a CASL ability) and do not keep it: `Rbac.can` re-validates on every call, this does not.
 */
export class PermissionSet<P extends string = string> {
  readonly #policy: CompiledPolicy;
  readonly #ctx: ExecutionContext;
  readonly #catalog: PermissionCatalog<P>;
  readonly #events: RbacEventBus;
  readonly #clock: Clock;

  /** @internal obtained from `Rbac.permissions` */
  constructor(
    policy: CompiledPolicy,
    ctx: ExecutionContext,
    catalog: PermissionCatalog<P>,
    events: RbacEventBus,
    clock: Clock,
  ) {
    this.#policy = policy;
    this.#ctx = ctx;
    this.#catalog = catalog;
    this.#events = events;
    this.#clock = clock;
  }

  /** Role names in effect (after `extends`). */
  get roles(): readonly string[] {
    return this.#policy.roles;
  }

  /** `active`, or why the actor has no permissions at all. */
  get state(): PrincipalState {
    return this.#policy.state;
  }

  /** True when the actor may do `action` on `subject` (a type, or an object tagged with `subject()`). */
  can(action: string, subject: AnySubject, field?: string): boolean {
    if (this.#events.has('decision')) return this.explain(action, subject, field).allowed;
    return allows(this.#policy, action, subject, field);
  }

  /** The opposite of {@link can}. */
  cannot(action: string, subject: AnySubject, field?: string): boolean {
    return !this.can(action, subject, field);
  }

  /** Why: the deciding rule, its role, and the reason. */
  explain(action: string, subject: AnySubject, field?: string): Decision {
    const decision = explainPolicy(this.#policy, action, subject, field);
    this.#observe(decision, decision.allowed ? 'allowed' : 'denied');
    return decision;
  }

  /**
   * Decides `permission` (e.g. `article.update`) on `object`: allowed or denied. Without an object, `allowed`
   * only for an unconditional grant, and `conditional` (with the conditions) for a grant that depends on the
   * object. Throws TenantSuspendedError when the tenant is suspended or deleted.
   */
  check(permission: P, object?: CheckObject): CheckResult {
    const result = checkPolicy(this.#policy, this.#catalog, permission, object);
    this.#observe(result.explanation, result.decision);
    if (result.decision === 'denied') assertTenantActive(this.#policy, this.#ctx.tenantId);
    return result;
  }

  #observe(decision: Decision, outcome: CheckOutcome): void {
    if (!this.#events.has('decision')) return;
    this.#events.notify('decision', {
      ...decision,
      tenantId: this.#ctx.tenantId,
      actor: this.#ctx.actor,
      principal: this.#ctx.actor,
      whatIf: false,
      outcome,
      at: this.#clock.now(),
    });
  }

  /**
   * Throws ForbiddenError (code FORBIDDEN) with the action, subject and reason when not allowed, or
   * TenantSuspendedError (code TENANT_SUSPENDED, with the reason) when the tenant is suspended or deleted.
   */
  require(action: string, subject: AnySubject, field?: string): void {
    const decision = this.explain(action, subject, field);
    if (decision.allowed) return;
    assertTenantActive(this.#policy, this.#ctx.tenantId);
    throw new ForbiddenError(`not allowed to ${action} ${decision.subject}: ${decision.reason}`, {
      details: {
        denial: 'missing-permission',
        permission: this.#catalog.permissionOf(action, decision.subject),
        action,
        subject: decision.subject,
        field: decision.field,
        reason: decision.reason,
        role: decision.role,
      },
    });
  }

  /**
   * True when the actor holds the permission (e.g. `workflow.read`) unconditionally: for every object and
   * field. A grant limited by conditions (only their own articles) answers false: use {@link check}.
   */
  has(permission: P): boolean {
    return this.#holds(permission);
  }

  /** True when the actor holds at least one of the permissions unconditionally. */
  hasAny(permissions: readonly P[]): boolean {
    for (const p of permissions) this.#catalog.toRule(p); // unknown permissions throw, whatever the order
    return permissions.some((p) => this.#holds(p));
  }

  /** True when the actor holds every one of the permissions unconditionally (false for an empty list). */
  hasAll(permissions: readonly P[]): boolean {
    for (const p of permissions) this.#catalog.toRule(p);
    return permissions.length > 0 && permissions.every((p) => this.#holds(p));
  }

  #holds(permission: string): boolean {
    if (!this.#events.has('decision')) {
      const { action, subject } = this.#catalog.toRule(permission);
      return holdsWhole(this.#policy, action, subject);
    }
    const result = checkPolicy(this.#policy, this.#catalog, permission);
    this.#observe(result.explanation, result.decision);
    return result.decision === 'allowed';
  }

  /** Fields of `subject` the actor may `action`; rules without `fields` grant every one of `allFields`. */
  permittedFields(action: string, subject: AnySubject, allFields: readonly string[]): string[] {
    return permittedFieldsOf(this.#policy.ability, action, subject as never, {
      fieldsFrom: (rule) => rule.fields ?? [...allFields],
    });
  }

  /** The rows of `subjectType` the actor may `action`: all, none, or those matching a condition tree. */
  accessibleBy(action: string, subjectType: string): AccessFilter {
    return accessFilterOf(this.#policy.ability, action, subjectType);
  }
}
