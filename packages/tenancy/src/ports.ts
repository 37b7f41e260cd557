import type { Actor, Clock, IdGenerator, StorePorts, Transactional } from '@ax/core';
import type { TenancyEmitter } from './events.js';
import type { PlanCatalog } from './plans.js';

/** The ports @ax/tenancy uses. Any adapter (or test double) with these fits. */
export type TenancyPorts = Pick<StorePorts, 'tenants' | 'quotas'>;

/** What the services share. */
export interface TenancyDeps<P extends TenancyPorts> {
  store: Transactional<P>;
  clock: Clock;
  ids: IdGenerator;
  plans: PlanCatalog;
  events: TenancyEmitter<P>;
}

/** Options every changing operation accepts. */
export interface ChangeOptions<P extends TenancyPorts = TenancyPorts> {
  /** Who is acting (recorded in events); the system actor when absent. */
  actor?: Actor;
  /** Run inside this transaction (the caller's), so the change commits with the caller's other writes. */
  tx?: P;
}
