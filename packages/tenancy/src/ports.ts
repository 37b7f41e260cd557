import type { Clock, IdGenerator, StorePorts, Transactional } from '@ax/core';
import type { TenancyEventBus, TenancyEvents } from './events.js';
import type { PlanCatalog } from './plans.js';

/** The ports @ax/tenancy uses. Any adapter (or test double) with these fits. */
export type TenancyPorts = Pick<StorePorts, 'tenants' | 'quotas'>;

/** What the services share. */
export interface TenancyDeps<P extends TenancyPorts> {
  store: Transactional<P>;
  clock: Clock;
  ids: IdGenerator;
  plans: PlanCatalog;
  events: TenancyEventBus<P>;
}

/** The last argument of every service method. */
export interface TxOptions<P extends TenancyPorts = TenancyPorts> {
  /**
   * Run inside this transaction (the caller's `tx` ports from `store.transaction`), so the change, its events'
   * in-transaction listeners (audit) and the caller's other writes commit together or not at all.
   */
  tx?: P;
}

/**
 * Emits an event about a change made in `tx`: its in-transaction listeners run now, in `tx`; after-commit
 * listeners once `tx` commits. Builds nothing when nobody listens.
 */
export async function emitIn<P extends TenancyPorts, K extends keyof TenancyEvents>(
  d: TenancyDeps<P>,
  tx: P,
  name: K,
  event: () => TenancyEvents[K],
): Promise<void> {
  if (d.events.has(name)) await d.events.emit(name, event(), tx);
}

/**
 * Emits an event about something that wrote nothing (a refusal): in `tx` when the caller gave one; else in a
 * transaction of its own when it has in-transaction listeners (so an audit listener always gets a `tx`);
 * else straight to the after-commit listeners.
 */
export async function announce<P extends TenancyPorts, K extends keyof TenancyEvents>(
  d: TenancyDeps<P>,
  tx: P | undefined,
  name: K,
  event: () => TenancyEvents[K],
): Promise<void> {
  if (!d.events.has(name)) return;
  if (tx) return d.events.emit(name, event(), tx);
  if (d.events.hasInTransaction(name)) {
    const e = event();
    return d.store.transaction((t) => d.events.emit(name, e, t));
  }
  d.events.notify(name, event());
}
