import { type Clock, type ExecutionContext, ForbiddenError } from '@ax/core';
import { permittedFieldsOf } from '@casl/ability/extra';
import { type AccessFilter, accessFilterOf } from './access-filter.js';
import type { CompiledPolicy, PrincipalState } from './compile.js';
import { type AnySubject, allows, type Decision, explainPolicy } from './decide.js';
import type { RbacEvents, TypedEmitter } from './events.js';
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
  readonly #events: TypedEmitter<RbacEvents>;
  readonly #clock: Clock;

  /** @internal obtained from `Rbac.permissions` */
  constructor(
    policy: CompiledPolicy,
    ctx: ExecutionContext,
    catalog: PermissionCatalog<P>,
    events: TypedEmitter<RbacEvents>,
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
    if (this.#events.has('decision')) {
      this.#events.emit('decision', {
        ...decision,
        tenantId: this.#ctx.tenantId,
        actor: this.#ctx.actor,
        at: this.#clock.now(),
      });
    }
    return decision;
  }

  /** Throws ForbiddenError (code FORBIDDEN) with the action, subject and reason when not allowed. */
  require(action: string, subject: AnySubject, field?: string): void {
    const decision = this.explain(action, subject, field);
    if (decision.allowed) return;
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

  /** True when the actor holds the permission (e.g. `workflow.read`). */
  has(permission: P): boolean {
    const { action, subject } = this.#catalog.toRule(permission);
    return this.can(action, subject);
  }

  /** True when the actor holds at least one of the permissions. */
  hasAny(permissions: readonly P[]): boolean {
    return permissions.map((p) => this.#catalog.toRule(p)).some((r) => this.can(r.action, r.subject));
  }

  /** True when the actor holds every one of the permissions (false for an empty list). */
  hasAll(permissions: readonly P[]): boolean {
    const rules = permissions.map((p) => this.#catalog.toRule(p));
    return rules.length > 0 && rules.every((r) => this.can(r.action, r.subject));
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
