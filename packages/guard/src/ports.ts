import type { ExecutionContext, Lease, StorePorts, Transactional } from '@ax/core';

/**
 * The services the guard composes, by the methods it calls: `createTenancy`'s `tenants` and `quotas`,
 * `createRbac`, a `RateLimitService` and an `AuditLog` fit as they are.
 */

/** The store ports the guard's transactions touch. */
export type GuardPorts = Pick<StorePorts, 'audit' | 'quotas' | 'tenants'>;

/** The optional transaction every quota call takes. */
export interface TxOption<P> {
  tx?: P;
}

/** A concurrency lease held by this process (`HeldLease` of @ax/tenancy). */
export type GuardLease = Lease & { ttlMs: number };

/** Tenants: `requireActive` throws TenantSuspendedError (with the reason) for a suspended or deleted tenant. */
export interface GuardTenants {
  requireActive(id: string): Promise<unknown>;
}

/** The answer of `rbac.check`. */
export interface GuardCheck {
  /** `conditional`: the grant holds only for some objects or fields, and no object was given. */
  decision: 'allowed' | 'denied' | 'conditional';
  /** Why, in one sentence (recorded in the `denied` event, never shown to the caller). */
  reason: string;
  /** The deciding rule's role and permission. */
  explanation: { role: string | null; permission: string | null };
}

/** Authorization: the permission catalogue and `check`, the one decision procedure of @ax/rbac. */
export interface GuardRbac {
  catalog: { toRule(permission: string): { action: string; subject: string } };
  /**
   * The decision on a permission, for one object when given. Deny rules count whether or not they have
   * conditions: without an object, a grant narrowed by a conditional deny is `conditional`, never `allowed`.
   */
  check(ctx: ExecutionContext, permission: string, object?: Record<string, unknown>): Promise<GuardCheck>;
}

/** Quotas, in the `(ctx, input, { tx }?)` shape (the tenant is `ctx.tenantId`). */
export interface GuardQuotas<P> {
  consume(
    ctx: ExecutionContext,
    input: { quota: string; amount: number; idempotencyKey?: string },
    opts?: TxOption<P>,
  ): Promise<{ replayed: boolean }>;
  refund(
    ctx: ExecutionContext,
    input: { quota: string; idempotencyKey: string },
    opts?: TxOption<P>,
  ): Promise<{ refunded: boolean; amount: number }>;
  acquireSlot(
    ctx: ExecutionContext,
    input: { quota?: string; ttlMs: number; holder?: string },
    opts?: TxOption<P>,
  ): Promise<GuardLease>;
  renew(
    ctx: ExecutionContext,
    input: { lease: GuardLease; ttlMs?: number },
    opts?: TxOption<P>,
  ): Promise<GuardLease>;
  releaseSlot(ctx: ExecutionContext, input: { lease: GuardLease }, opts?: TxOption<P>): Promise<boolean>;
}

/** Per-user and per-tenant rate limits: throws RateLimitExceededError (RATE_LIMITED, `retryAfterMs`). */
export interface GuardRateLimits {
  check(input: { tenantId: string; userId?: string }): Promise<unknown>;
}

/** One audit event as the guard appends it. */
export interface GuardAuditEvent {
  action: string;
  outcome: 'success' | 'failure' | 'denied';
  resource?: string | null;
  resourceType?: string | null;
  reason?: string | null;
  metadata?: Record<string, unknown>;
}

/** The audit log: `record` inside a transaction, `append` in one of its own. */
export interface GuardAudit<P> {
  /** Resolves to the appended event (its `id` names the run). */
  record(tx: P, ctx: ExecutionContext, event: GuardAuditEvent): Promise<{ id: string }>;
  append(ctx: ExecutionContext, event: GuardAuditEvent): Promise<unknown>;
}

/** The store the guard opens its transactions on. */
export type GuardStore<P extends GuardPorts> = Transactional<P>;
