import type { Actor, StorePorts } from '@ax/core';
import type { Decision } from './decide.js';

/** One permission check, as audit records it. */
export interface DecisionEvent extends Decision {
  tenantId: string;
  actor: Actor;
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
  /** What changed: role name, user id, role and user, … */
  target: Record<string, string>;
  /** The transaction the change runs in: a listener writing through it commits (or not) with the change. */
  tx: Pick<StorePorts, 'rbac' | 'users' | 'tenants'> & Partial<StorePorts>;
}

/** Events of the Rbac service. */
export interface RbacEvents {
  /** Every check (`can`, `require`, `explain`, `hasAny`, …). Listeners run synchronously; keep them cheap. */
  decision: DecisionEvent;
  /** Every write, inside its transaction; async listeners are awaited before the commit. */
  change: ChangeEvent;
}

type Listener<T> = (event: T) => void | Promise<void>;

/**
 * A small typed emitter. `has(name)` is one property read, so emitting costs nothing when nobody listens:
 * callers test it before building an event.
 */
export class TypedEmitter<E extends object> {
  readonly #listeners: { [K in keyof E]?: Listener<E[K]>[] } = {};

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof E>(name: K, listener: Listener<E[K]>): () => void {
    const list = [...(this.#listeners[name] ?? []), listener];
    this.#listeners[name] = list;
    return () => {
      const current = this.#listeners[name] ?? [];
      const next = current.filter((l) => l !== listener);
      this.#listeners[name] = next.length > 0 ? next : undefined;
    };
  }

  /** True when `name` has a listener. */
  has(name: keyof E): boolean {
    return this.#listeners[name] !== undefined;
  }

  /** Calls listeners in order, without waiting for promises; a listener's error does not stop the others. */
  emit<K extends keyof E>(name: K, event: E[K]): void {
    for (const l of this.#listeners[name] ?? []) {
      try {
        const r = l(event);
        if (r instanceof Promise) r.catch(() => undefined);
      } catch {
        // a decision listener must not change a decision
      }
    }
  }

  /** Calls listeners one after another and awaits each; the first error propagates (rolling back a write). */
  async emitAndWait<K extends keyof E>(name: K, event: E[K]): Promise<void> {
    for (const l of this.#listeners[name] ?? []) await l(event);
  }
}
