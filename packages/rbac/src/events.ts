import type { Actor, EventBus, StorePorts } from '@ax/core';
import type { Decision } from './decide.js';

/** What a check answered: `conditional` when the grant holds only for objects matching conditions. */
export type CheckOutcome = 'allowed' | 'denied' | 'conditional';

/**
 * One permission check, as audit records it. `actor` is who asked; `principal` is whose permissions were
 * checked: the same actor for an ordinary check, another one for a what-if (`Rbac.checkFor`).
 */
export interface DecisionEvent extends Decision {
  tenantId: string;
  /** The asking actor. */
  actor: Actor;
  /** Whose permissions decided: equal to `actor` except for a what-if check. */
  principal: Actor;
  /** True for a what-if check about another principal: an observation, not that principal's attempt. */
  whatIf: boolean;
  /** `conditional` for a type-level `check` answered by a conditional grant; else allowed or denied. */
  outcome: CheckOutcome;
  at: number;
}

/** One change to roles, assignments, user status or the super-admin flag. */
export interface ChangeEvent {
  type:
    | 'role.created'
    | 'role.updated'
    | 'role.deleted'
    | 'role.assigned'
    | 'role.revoked'
    | 'user.created'
    | 'user.suspended'
    | 'user.activated'
    | 'superadmin.granted'
    | 'superadmin.revoked';
  /** Null for platform-level changes (user status, super-admin). */
  tenantId: string | null;
  actor: Actor;
  at: number;
  /** What changed: role name, user id (or API key id), role and user, … */
  target: Record<string, string>;
}

/** The ports of a transaction an rbac change runs in (the app's store gives every port). */
export type RbacTx = Pick<StorePorts, 'rbac' | 'users' | 'tenants'> & Partial<StorePorts>;

/** Events of the Rbac service. */
export interface RbacEvents {
  /**
   * Every check (`can`, `require`, `check`, `explain`, `hasAny`, …): an observation, delivered to
   * `afterCommit` listeners only (a decision commits nothing), and never able to change the decision.
   */
  decision: DecisionEvent;
  /** Every write: `inTransaction` listeners run in the change's transaction (a rejection rolls it back). */
  change: ChangeEvent;
}

/** The Rbac service's event bus (core's {@link EventBus}). */
export type RbacEventBus = EventBus<RbacEvents, RbacTx>;
