import {
  ConflictError,
  type ExecutionContext,
  isId,
  NotFoundError,
  parseInput,
  type Tenant,
  type TenantPatch,
  type TenantStatus,
  TenantSuspendedError,
} from '@ax/core';
import type { z } from 'zod';
import { actorOf, tenantOf } from './context.js';
import type { EventBase, TenancyEvents } from './events.js';
import { applyPlanLimits } from './limits.js';
import { emitIn, type TenancyDeps, type TenancyPorts, type TxOptions } from './ports.js';
import {
  changePlanSchema,
  createTenantSchema,
  listTenantsSchema,
  suspendSchema,
  tenantIdSchema,
  tenantRefSchema,
  txOptionsSchema,
  updateTenantSchema,
} from './schemas.js';

/** Input of {@link TenantService.create}. */
export type CreateTenantInput = z.input<typeof createTenantSchema>;
/** Input of {@link TenantService.update}. */
export type UpdateTenantInput = z.input<typeof updateTenantSchema>;
/** Input of {@link TenantService.changePlan}. */
export type ChangePlanInput = z.input<typeof changePlanSchema>;
/** Input of {@link TenantService.suspend}. */
export type SuspendTenantInput = z.input<typeof suspendSchema>;
/** Input of {@link TenantService.list}. */
export type ListTenantsInput = z.input<typeof listTenantsSchema>;

/** A page of tenants; pass `nextCursor` back as `cursor` for the next one (null at the end). */
export interface TenantPage {
  items: Tenant[];
  nextCursor: string | null;
}

/**
 * Tenant lifecycle: create (with its quotas, in one transaction), read, page, update, change plan, suspend,
 * activate, soft delete, explicit purge, and the `requireActive` guard. Every change takes the execution
 * context (the tenant it changes is `ctx.tenantId`, who acts is `ctx.actor`), its input, and `{ tx }` to run
 * in the caller's transaction; it emits a typed event inside its transaction.
 */
export class TenantService<P extends TenancyPorts = TenancyPorts> {
  readonly #d: TenancyDeps<P>;

  /** @internal use {@link createTenancy} */
  constructor(deps: TenancyDeps<P>) {
    this.#d = deps;
  }

  /**
   * Creates a tenant and its quotas (the plan's limits, plus `overrides`) in one transaction. `ctx.actor` acts;
   * `ctx.tenantId` is not read (by convention `PLATFORM_TENANT_ID`: creating a tenant is a platform action).
   */
  async create(ctx: ExecutionContext, input: CreateTenantInput, opts?: TxOptions<P>): Promise<Tenant> {
    const actor = actorOf(ctx, 'tenant.create');
    const data = parseInput(createTenantSchema, input, 'tenant.create');
    this.#d.plans.plan(data.plan);
    for (const q of Object.keys(data.overrides ?? {})) this.#d.plans.quota(q);
    return this.#change(actor, opts, async (tx, base) => {
      const tenant: Tenant = {
        id: this.#d.ids.next('tenant'),
        slug: data.slug,
        name: data.name,
        plan: data.plan,
        status: 'active',
        statusReason: null,
        billingAnchorDay: data.billingAnchorDay,
        createdAt: base.at,
        updatedAt: base.at,
      };
      await tx.tenants.insert(tenant);
      await applyPlanLimits(tx, this.#d.plans, tenant, data.plan, base.at, data.overrides ?? {});
      await this.#emit('tenant.created', { ...base, tenant }, tx);
      return tenant;
    });
  }

  /** The tenant with this id or slug, or null. */
  async find(idOrSlug: string): Promise<Tenant | null> {
    const ref = parseInput(tenantRefSchema, idOrSlug, 'tenant reference');
    const { tenants } = this.#d.store;
    return isId('tenant', ref) ? tenants.get(ref) : tenants.getBySlug(ref);
  }

  /** The tenant with this id or slug; NotFoundError when there is none. */
  async get(idOrSlug: string): Promise<Tenant> {
    const found = await this.find(idOrSlug);
    if (!found) throw new NotFoundError(`tenant ${idOrSlug} not found`);
    return found;
  }

  /** Tenants in creation order, a page at a time. */
  async list(input?: ListTenantsInput): Promise<TenantPage> {
    const q = parseInput(listTenantsSchema, input, 'tenant.list');
    const items = await this.#d.store.tenants.list({
      limit: q.limit,
      ...(q.cursor ? { afterId: q.cursor } : {}),
      ...(q.status ? { status: q.status } : {}),
    });
    return { items, nextCursor: items.length === q.limit ? items[items.length - 1]!.id : null };
  }

  /** Renames `ctx.tenantId` or changes its billing anchor (the current period runs to its end). */
  async update(ctx: ExecutionContext, input: UpdateTenantInput, opts?: TxOptions<P>): Promise<Tenant> {
    const { tenantId, actor } = tenantOf(ctx, 'tenant.update');
    const patch = parseInput(updateTenantSchema, input, 'tenant.update');
    return this.#change(actor, opts, async (tx, base) => {
      const previous = await this.#load(tx, tenantId);
      const tenant = await this.#patch(tx, tenantId, { ...patch, updatedAt: base.at });
      await this.#emit('tenant.updated', { ...base, tenant, previous }, tx);
      return tenant;
    });
  }

  /** Moves `ctx.tenantId` to another plan: the new limits apply to current usage, which is never reset. */
  async changePlan(ctx: ExecutionContext, input: ChangePlanInput, opts?: TxOptions<P>): Promise<Tenant> {
    const { tenantId, actor } = tenantOf(ctx, 'tenant.changePlan');
    const to = parseInput(changePlanSchema, input, 'tenant.changePlan').plan;
    this.#d.plans.plan(to);
    return this.#change(actor, opts, async (tx, base) => {
      const previous = await this.#load(tx, tenantId);
      const tenant = await this.#patch(tx, tenantId, { plan: to, updatedAt: base.at });
      await applyPlanLimits(tx, this.#d.plans, tenant, to, base.at);
      await this.#emit('tenant.planChanged', { ...base, tenant, from: previous.plan, to }, tx);
      return tenant;
    });
  }

  /**
   * Re-applies the tenant's current plan: provisions quotas defined since the tenant was created and
   * refreshes limits after a plan's definition changed. Idempotent.
   */
  async syncQuotas(ctx: ExecutionContext, opts?: TxOptions<P>): Promise<Tenant> {
    const { tenantId, actor } = tenantOf(ctx, 'tenant.syncQuotas');
    return this.#change(actor, opts, async (tx, base) => {
      const tenant = await this.#load(tx, tenantId);
      await applyPlanLimits(tx, this.#d.plans, tenant, tenant.plan, base.at);
      return tenant;
    });
  }

  /** Suspends `ctx.tenantId`; `requireActive` then throws TenantSuspendedError carrying `reason`. */
  async suspend(ctx: ExecutionContext, input: SuspendTenantInput, opts?: TxOptions<P>): Promise<Tenant> {
    const { tenantId, actor } = tenantOf(ctx, 'tenant.suspend');
    const why = parseInput(suspendSchema, input, 'tenant.suspend').reason;
    return this.#change(actor, opts, async (tx, base) => {
      const current = await this.#load(tx, tenantId);
      if (current.status === 'deleted') throw new ConflictError(`tenant ${tenantId} is deleted`);
      const tenant = await this.#patch(tx, tenantId, {
        status: 'suspended',
        statusReason: why,
        updatedAt: base.at,
      });
      await this.#emit('tenant.suspended', { ...base, tenant, reason: why }, tx);
      return tenant;
    });
  }

  /** Makes `ctx.tenantId`, suspended (or soft-deleted), active again. */
  async activate(ctx: ExecutionContext, opts?: TxOptions<P>): Promise<Tenant> {
    const { tenantId, actor } = tenantOf(ctx, 'tenant.activate');
    return this.#change(actor, opts, async (tx, base) => {
      const current = await this.#load(tx, tenantId);
      const tenant = await this.#patch(tx, tenantId, {
        status: 'active',
        statusReason: null,
        updatedAt: base.at,
      });
      await this.#emit('tenant.activated', { ...base, tenant, previousStatus: current.status }, tx);
      return tenant;
    });
  }

  /** Soft delete: the tenant stays, with status `deleted`, until {@link TenantService.purge}. */
  async delete(ctx: ExecutionContext, opts?: TxOptions<P>): Promise<Tenant> {
    const { tenantId, actor } = tenantOf(ctx, 'tenant.delete');
    return this.#change(actor, opts, async (tx, base) => {
      await this.#load(tx, tenantId);
      const tenant = await this.#patch(tx, tenantId, {
        status: 'deleted',
        statusReason: 'deleted',
        updatedAt: base.at,
      });
      await this.#emit('tenant.deleted', { ...base, tenant }, tx);
      return tenant;
    });
  }

  /** Removes a soft-deleted tenant and its quota data for good. ConflictError unless it was deleted first. */
  async purge(ctx: ExecutionContext, opts?: TxOptions<P>): Promise<void> {
    const { tenantId, actor } = tenantOf(ctx, 'tenant.purge');
    await this.#change(actor, opts, async (tx, base) => {
      const current = await this.#load(tx, tenantId);
      if (current.status !== 'deleted') {
        throw new ConflictError(`tenant ${tenantId} must be deleted before it is purged`);
      }
      await tx.tenants.purge(tenantId);
      await this.#emit('tenant.purged', { ...base, tenantId, slug: current.slug }, tx);
    });
  }

  /**
   * The tenant (an id, or a context's `tenantId`), if active. TenantSuspendedError (with the reason) for
   * suspended and deleted tenants, NotFoundError for unknown ones. With `{ tx }`, read in that transaction.
   */
  async requireActive(
    tenant: string | Pick<ExecutionContext, 'tenantId'>,
    opts?: TxOptions<P>,
  ): Promise<Tenant> {
    const id = typeof tenant === 'string' ? tenant : tenant?.tenantId;
    const tenantId = parseInput(tenantIdSchema, id, 'tenant id');
    const tx = parseInput(txOptionsSchema, opts, 'options')?.tx as P | undefined;
    const found = await (tx ?? this.#d.store).tenants.get(tenantId);
    return this.#active(tenantId, found);
  }

  #active(tenantId: string, tenant: Tenant | null): Tenant {
    if (!tenant) throw new NotFoundError(`tenant ${tenantId} not found`);
    if (tenant.status !== 'active') {
      throw new TenantSuspendedError(tenantId, tenant.statusReason ?? tenant.status, {
        details: { status: tenant.status satisfies TenantStatus },
      });
    }
    return tenant;
  }

  async #change<T>(
    actor: EventBase['actor'],
    opts: TxOptions<P> | undefined,
    fn: (tx: P, base: EventBase) => Promise<T>,
  ): Promise<T> {
    const tx = parseInput(txOptionsSchema, opts, 'options')?.tx as P | undefined;
    const base: EventBase = { at: this.#d.clock.now(), actor };
    if (tx) return fn(tx, base);
    return this.#d.store.transaction((t) => fn(t, base));
  }

  async #load(tx: P, tenantId: string): Promise<Tenant> {
    const tenant = await tx.tenants.get(tenantId);
    if (!tenant) throw new NotFoundError(`tenant ${tenantId} not found`);
    return tenant;
  }

  async #patch(tx: P, tenantId: string, patch: TenantPatch): Promise<Tenant> {
    const tenant = await tx.tenants.update(tenantId, patch);
    if (!tenant) throw new NotFoundError(`tenant ${tenantId} not found`);
    return tenant;
  }

  #emit<K extends keyof TenancyEvents>(name: K, event: TenancyEvents[K], tx: P): Promise<void> {
    return emitIn(this.#d, tx, name, () => event);
  }
}
