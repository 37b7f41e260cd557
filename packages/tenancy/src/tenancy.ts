import {
  type Clock,
  createIdGenerator,
  EventBus,
  type EventBusOptions,
  type IdGenerator,
  parseInput,
  systemClock,
  type Transactional,
} from '@ax/core';
import { z } from 'zod';
import type { TenancyEventBus, TenancyEvents } from './events.js';
import { PlanCatalog } from './plans.js';
import type { TenancyPorts } from './ports.js';
import { QuotaService } from './quota-service.js';
import { DEFAULT_IDEMPOTENCY_TTL_MS } from './quota-types.js';
import { TenantService } from './tenant-service.js';

/** Options of {@link createTenancy}. */
export interface TenancyOptions<P extends TenancyPorts> {
  /** Any store with the tenants and quotas ports (e.g. `openSqliteStore(file)`). */
  store: Transactional<P>;
  clock?: Clock;
  ids?: IdGenerator;
  /** Built-in plus custom quotas and plans. */
  plans?: PlanCatalog;
  /** How long idempotency keys are kept at least (default 24 h); periodic quotas keep them to the period's end when later. */
  idempotencyTtlMs?: number;
  /** Where after-commit listener errors go (default: a process warning). */
  onEventError?: EventBusOptions<TenancyEvents>['onError'];
}

/** The tenancy services, sharing one plan catalogue and one event emitter. */
export interface Tenancy<P extends TenancyPorts> {
  tenants: TenantService<P>;
  quotas: QuotaService<P>;
  plans: PlanCatalog;
  /**
   * Typed events: `events.inTransaction('tenant.suspended', (e, { tx }) => …)` to write (audit) in the change's
   * transaction, `events.afterCommit(name, (e) => …)` to observe once it committed.
   */
  events: TenancyEventBus<P>;
}

const ttlSchema = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/** Builds the tenant and quota services on a store. */
export function createTenancy<P extends TenancyPorts>(opts: TenancyOptions<P>): Tenancy<P> {
  const clock = opts.clock ?? systemClock;
  const deps = {
    store: opts.store,
    clock,
    ids: opts.ids ?? createIdGenerator(clock),
    plans: opts.plans ?? new PlanCatalog(),
    events: new EventBus<TenancyEvents, P>(opts.onEventError ? { onError: opts.onEventError } : {}),
  };
  return {
    tenants: new TenantService(deps),
    quotas: new QuotaService(
      deps,
      parseInput(ttlSchema, opts.idempotencyTtlMs ?? DEFAULT_IDEMPOTENCY_TTL_MS, 'idempotencyTtlMs'),
    ),
    plans: deps.plans,
    events: deps.events,
  };
}
