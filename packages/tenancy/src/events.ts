import type { Actor, Tenant } from '@ax/core';

/** A listener: may return a promise, which the emitting operation awaits (inside its transaction when it has one). */
export type Listener<T, C> = (event: T, context: C) => void | Promise<void>;

/**
 * A small typed event emitter. `emit` with no listener does nothing and allocates nothing, and callers check
 * {@link TypedEmitter.has} before building a payload, so events cost nothing until someone listens.
 * A listener that throws (or rejects) fails the operation; inside a transaction that rolls it back, which is
 * what an audit listener wants.
 */
export class TypedEmitter<E extends { [K in keyof E]: unknown }, C> {
  readonly #listeners: { [K in keyof E]?: Listener<E[K], C>[] } = {};

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof E>(name: K, listener: Listener<E[K], C>): () => void {
    const list = this.#listeners[name] ?? [];
    this.#listeners[name] = [...list, listener];
    return () => this.off(name, listener);
  }

  /** Removes a listener. */
  off<K extends keyof E>(name: K, listener: Listener<E[K], C>): void {
    const list = this.#listeners[name]?.filter((l) => l !== listener);
    if (list && list.length > 0) this.#listeners[name] = list;
    else delete this.#listeners[name];
  }

  /** True when `name` has at least one listener. */
  has(name: keyof E): boolean {
    return this.#listeners[name] !== undefined;
  }

  /** Calls the listeners in order; returns a promise only when one of them returned one. */
  emit<K extends keyof E>(name: K, event: E[K], context: C): void | Promise<void> {
    const list = this.#listeners[name];
    if (!list) return;
    let pending: Promise<void>[] | undefined;
    for (const listener of list) {
      const r = listener(event, context);
      if (r) {
        pending ??= [];
        pending.push(r);
      }
    }
    if (pending) return Promise.all(pending).then(() => undefined);
  }
}

/** Fields every tenancy event has. */
export interface EventBase {
  /** When it happened (the service's clock). */
  at: number;
  /** Who did it. */
  actor: Actor;
}

/** Every event @ax/tenancy emits, by name. Audit records them. */
export interface TenancyEvents {
  'tenant.created': EventBase & { tenant: Tenant };
  'tenant.updated': EventBase & { tenant: Tenant; previous: Tenant };
  'tenant.planChanged': EventBase & { tenant: Tenant; from: string; to: string };
  'tenant.suspended': EventBase & { tenant: Tenant; reason: string };
  'tenant.activated': EventBase & { tenant: Tenant; previousStatus: Tenant['status'] };
  'tenant.deleted': EventBase & { tenant: Tenant };
  'tenant.purged': EventBase & { tenantId: string; slug: string };
  'quota.overridden': EventBase & { tenantId: string; quota: string; limit: number | null };
  /** A soft quota reached 80, 100 or 120% of its limit; once per period per threshold. */
  'quota.threshold': EventBase & {
    tenantId: string;
    quota: string;
    threshold: number;
    used: number;
    limit: number;
    periodStart: number | null;
  };
  /** A consume or acquire was denied. */
  'quota.exceeded': EventBase & {
    tenantId: string;
    quota: string;
    used: number;
    limit: number;
    requested: number;
  };
  /** A billing period closed; its usage is kept in the history. */
  'quota.periodClosed': EventBase & {
    tenantId: string;
    quota: string;
    periodStart: number;
    periodEnd: number;
  };
  /** Expired leases (crashed holders) were reclaimed. */
  'lease.reclaimed': EventBase & { tenantId: string; quota: string; count: number };
}

/** What a listener receives besides the event: the transaction's ports when the change runs in one. */
export interface EventContext<P> {
  tx: P | undefined;
}

/** The emitter @ax/tenancy's services share. */
export type TenancyEmitter<P> = TypedEmitter<TenancyEvents, EventContext<P>>;
