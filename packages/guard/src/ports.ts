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

/** The answer of `rbac.explain`. */
export interface GuardDecision {
  allowed: boolean;
  reason: string;
  role: string | null;
  permission: string | null;
  rule: { conditions?: unknown } | null;
}

/** Authorization: the permission catalogue and `explain`. */
export interface GuardRbac {
  catalog: { toRule(permission: string): { action: string; subject: string } };
  /** The decision on a subject type, or on an object tagged with CASL's `subject(type, object)`. */
  explain(
    ctx: ExecutionContext,
    action: string,
    subject: string | Record<string, unknown>,
  ): Promise<GuardDecision>;
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
