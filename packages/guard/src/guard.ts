import {
  AxError,
  type Clock,
  createContext,
  createIdGenerator,
  type ExecutionContext,
  ForbiddenError,
  type IdGenerator,
  parseInput,
  PLATFORM_TENANT_ID,
  systemClock,
  type Transactional,
  ValidationError,
} from '@ax/core';
import { LeaseKeeper } from './lease-keeper.js';
import type {
  GuardAudit,
  GuardAuditEvent,
  GuardLease,
  GuardPorts,
  GuardQuotas,
  GuardRateLimits,
  GuardRbac,
  GuardTenants,
} from './ports.js';
import {
  type AuthorizeSpec,
  authorizeSpecSchema,
  type GuardSpec,
  guardSpecSchema,
  type ParsedGuardSpec,
} from './spec.js';

/** Options of {@link createGuard}. */
export interface GuardOptions<P extends GuardPorts = GuardPorts> {
  /** The store the start (and a refunding failure) commit in: one transaction each. */
  store: Transactional<P>;
  /** `createTenancy(…).tenants`. */
  tenants: GuardTenants;
  /** `createRbac(…)`. */
  rbac: GuardRbac;
  /** `createTenancy(…).quotas`. */
  quotas: GuardQuotas<P>;
  /** Per-user and per-tenant limits (`RateLimitService`); none when absent. */
  rateLimits?: GuardRateLimits;
  /** The AuditLog; register the guard's actions with it (see `guardAuditActions`). */
  audit: GuardAudit<P>;
  clock?: Clock;
  ids?: IdGenerator;
  /**
   * Told about failures the guard cannot throw to its caller: a `denied` event that could not be appended
   * (the refusal is thrown), a `failed` event that could not be appended (the work's error is thrown), a
   * lease release that failed (the lease then expires by its TTL). Also a `completed` event that could not be
   * appended, which `complete()` throws too, for adapters that end a run after the answer has left.
   */
  onError?: (err: unknown, where: 'denied-event' | 'completed-event' | 'failed-event' | 'release') => void;
}

/** What the guarded work receives. */
export interface GuardedWork {
  /**
   * Aborts when a lease renewal failed (the slot may be someone else's now) or the run has ended (an HTTP
   * client went away): stop the work.
   */
  signal: AbortSignal;
  /** The concurrency lease, renewed while the work runs; null when the spec asks for none. */
  lease: GuardLease | null;
}

/** One quota consumed at the start of a run. */
export interface ConsumedQuota {
  quota: string;
  amount: number;
  /** True when the idempotency key had consumed it already: nothing was charged by this run. */
  replayed: boolean;
}

/**
 * A run past its start (steps 1–5): the quotas are consumed, the lease is held and renewed, `started` is
 * recorded. End it exactly once with `complete()` or `fail(err)` (later calls are no-ops); both release the
 * lease. For framework adapters, which start in one hook and end in another; `guard.run` does both.
 */
export interface GuardedRun extends GuardedWork {
  /** The id of the `started` audit event; its end carries it as `metadata.runId`. */
  readonly runId: string;
  /** The audit action prefix (the spec's `action`, or its permission). */
  readonly action: string;
  readonly consumed: readonly ConsumedQuota[];
  /** Appends `<action>.completed`, then releases the lease. Throws when the event could not be appended. */
  complete(): Promise<void>;
  /**
   * Appends `<action>.failed` (with `refundOnFailure`: in one transaction with the refunds), then releases
   * the lease. Never throws: a failed append goes to `onError`.
   */
  fail(error: unknown): Promise<void>;
}

// Refusals: a `denied` event records them. Anything else (the store failing) is an error, not a decision.
const REFUSALS = new Set(['TENANT_SUSPENDED', 'NOT_FOUND', 'FORBIDDEN', 'RATE_LIMITED', 'QUOTA_EXCEEDED']);

/** Internal: a refusal with what the audit event says and the caller must not see (the explanation). */
class Refusal {
  constructor(
    readonly error: AxError,
    readonly reason: string,
    readonly metadata: Record<string, unknown> = {},
  ) {}
}

/**
 * The guarded pipeline: validate the context, tenant active, authorize, rate limit, then (one transaction)
 * consume the quotas, take the lease and record `started`; run; record the end and release. Build it once
 * per process with {@link createGuard}.
 */
export class Guard<P extends GuardPorts = GuardPorts> {
  readonly #o: GuardOptions<P>;
  readonly #clock: Clock;
  readonly #ids: IdGenerator;
  #active = 0;
  #idle: (() => void)[] = [];

  /** @internal use {@link createGuard} */
  constructor(options: GuardOptions<P>) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#ids = options.ids ?? createIdGenerator(this.#clock);
  }

  /**
   * Runs `fn` under the pipeline and returns its result. Refusals throw the AxError (TENANT_SUSPENDED,
   * FORBIDDEN, RATE_LIMITED with `retryAfterMs`, QUOTA_EXCEEDED) after one `<action>.denied` event, having
   * consumed nothing. When `fn` throws, its error is rethrown after `<action>.failed`.
   */
  async run<T>(
    ctx: ExecutionContext,
    spec: GuardSpec,
    fn: (work: GuardedWork) => Promise<T> | T,
  ): Promise<T> {
    const run = await this.begin(ctx, spec);
    let result: T;
    try {
      result = await fn({ signal: run.signal, lease: run.lease });
    } catch (err) {
      await run.fail(err);
      throw err;
    }
    await run.complete();
    return result;
  }

  /** Runs started and not yet ended (their end, lease release included, not finished). */
  get active(): number {
    return this.#active;
  }

  /**
   * Resolves once no run is active: for a graceful shutdown, and to know that every end recorded by an
   * adapter after its answer (Express) has been written and every lease released.
   */
  drain(): Promise<void> {
    if (this.#active === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Steps 1–5 only: the run is started and must be ended with `complete()` or `fail()`. */
  async begin(ctx: ExecutionContext, spec: GuardSpec): Promise<GuardedRun> {
    // Frozen once here, so the services called below can skip validating it again.
    const c = createContext(ctx);
    const s = parseInput(guardSpecSchema, spec, 'guard spec');
    if (c.tenantId === PLATFORM_TENANT_ID && (s.quotas.length > 0 || s.concurrency)) {
      throw new ValidationError('the platform pseudo-tenant has no quotas: a platform action consumes none', [
        {
          path: [s.quotas.length > 0 ? 'quotas' : 'concurrency'],
          message: 'not in the platform tenant',
          code: 'custom',
        },
      ]);
    }
    const rule = this.#o.rbac.catalog.toRule(s.permission);
    const action = s.action ?? s.permission;
    const resource = resourceOf(s, rule);
    try {
      await this.#admit(c, s, true);
      return await this.#start(c, s, action, resource);
    } catch (err) {
      throw await this.#refused(c, s.permission, action, resource, err);
    }
  }

  /**
   * Steps 1–3 alone, for a call that consumes nothing and whose own service audits what it does (a read, an
   * administrative change): validates the context, requires the tenant active (TENANT_SUSPENDED with the
   * reason) and the permission (FORBIDDEN). A refusal appends one `<action>.denied` event, the explanation in
   * it and not in the error. Returns the validated, frozen context to call the services with.
   */
  async authorize(ctx: ExecutionContext, spec: AuthorizeSpec): Promise<Readonly<ExecutionContext>> {
    const c = createContext(ctx);
    const s = parseInput(authorizeSpecSchema, spec, 'guard authorize spec');
    const rule = this.#o.rbac.catalog.toRule(s.permission);
    const action = s.action ?? s.permission;
    try {
      await this.#admit(c, s, false);
      return c;
    } catch (err) {
      throw await this.#refused(c, s.permission, action, resourceOf(s, rule), err);
    }
  }

  // A refusal (not a failure of the store) is recorded as one `denied` event, and its AxError returned.
  async #refused(
    ctx: ExecutionContext,
    permission: string,
    action: string,
    resource: { resource: string | null; resourceType: string },
    err: unknown,
  ): Promise<unknown> {
    const refusal =
      err instanceof Refusal
        ? err
        : isRefusal(err)
          ? new Refusal(err, err.message, { details: err.details })
          : null;
    if (!refusal) return err;
    await this.#append(ctx, {
      action: `${action}.denied`,
      outcome: 'denied',
      ...resource,
      reason: refusal.reason.slice(0, 2000),
      metadata: { code: refusal.error.code, permission, ...refusal.metadata },
    }).catch((e: unknown) => this.#o.onError?.(e, 'denied-event'));
    return refusal.error;
  }

  // Steps 2–4 (3 without `rateLimit`): nothing here writes but the rate limiter's counters.
  async #admit(
    ctx: ExecutionContext,
    s: Pick<ParsedGuardSpec, 'permission' | 'object' | 'requireActiveTenant'>,
    rateLimit: boolean,
  ) {
    // The platform pseudo-tenant (installation-wide actions) has no status, no quotas and no rate-limit window.
    const platform = ctx.tenantId === PLATFORM_TENANT_ID;
    if (!platform && s.requireActiveTenant) await this.#o.tenants.requireActive(ctx.tenantId);
    // rbac's own check: a conditional allow, or an allow narrowed by a conditional (or field) deny, is not a
    // grant on an object the guard was not shown.
    const decision = await this.#o.rbac.check(ctx, s.permission, s.object ? { ...s.object } : undefined);
    if (decision.decision !== 'allowed') {
      // Skipped above for the allowed: a refused caller still learns that the tenant is inactive, and why.
      if (!platform && !s.requireActiveTenant) await this.#o.tenants.requireActive(ctx.tenantId);
      throw new Refusal(
        new ForbiddenError(`not allowed: ${s.permission}`, { details: { permission: s.permission } }),
        decision.decision === 'conditional'
          ? `${decision.reason}; the grant is conditional and no object was given`
          : decision.reason,
        { role: decision.explanation.role, rulePermission: decision.explanation.permission },
      );
    }
    if (!platform && rateLimit) {
      await this.#o.rateLimits?.check({ tenantId: ctx.tenantId, userId: ctx.actor.id });
    }
  }

  // Step 5, one transaction: consume, lease, `started`. A refusal here (QUOTA_EXCEEDED) rolls all of it back.
  async #start(
    ctx: ExecutionContext,
    s: ParsedGuardSpec,
    action: string,
    resource: { resource: string | null; resourceType: string },
  ): Promise<GuardedRun> {
    const { quotas, audit } = this.#o;
    // A refund names what it gives back by idempotency key: without the caller's, the run gets its own.
    const key =
      s.idempotencyKey ??
      (s.refundOnFailure && s.quotas.length > 0 ? `guard:${this.#ids.next('request')}` : undefined);
    const startedAt = this.#clock.now();
    const { consumed, lease, runId } = await this.#o.store.transaction(async (tx) => {
      const consumed: ConsumedQuota[] = [];
      for (const q of s.quotas) {
        const out = await quotas.consume(ctx, { ...q, ...(key ? { idempotencyKey: key } : {}) }, { tx });
        consumed.push({ ...q, replayed: out.replayed });
      }
      const lease = s.concurrency
        ? await quotas.acquireSlot(
            ctx,
            { ...s.concurrency, holder: ctx.requestId ?? `${ctx.actor.type}:${ctx.actor.id}` },
            { tx },
          )
        : null;
      const started = await audit.record(tx, ctx, {
        action: `${action}.started`,
        outcome: 'success',
        ...resource,
        metadata: {
          permission: s.permission,
          consumed,
          lease: lease?.id ?? null,
          ...(s.idempotencyKey ? { idempotencyKey: s.idempotencyKey } : {}),
        },
      });
      return { consumed, lease, runId: started.id };
    });
    this.#active++;
    const keeper = new LeaseKeeper(quotas as GuardQuotas<never>, ctx, lease);
    let ended = false;
    const end = async (write: () => Promise<void>) => {
      if (ended) return;
      ended = true;
      await keeper.stop();
      try {
        await write();
      } finally {
        const held = keeper.lease;
        if (held) {
          await quotas
            .releaseSlot(ctx, { lease: held })
            .catch((e: unknown) => this.#o.onError?.(e, 'release'));
        }
        if (--this.#active === 0) for (const resolve of this.#idle.splice(0)) resolve();
      }
    };
    return {
      runId,
      action,
      consumed,
      signal: keeper.signal,
      lease,
      complete: () =>
        end(async () => {
          await this.#append(ctx, {
            ...resource,
            action: `${action}.completed`,
            outcome: 'success',
            metadata: { runId, durationMs: this.#clock.now() - startedAt },
          }).catch((e: unknown) => {
            this.#o.onError?.(e, 'completed-event');
            throw e;
          });
        }),
      fail: (error) =>
        end(async () => {
          const err = error instanceof AxError ? error : null;
          const event: GuardAuditEvent = {
            ...resource,
            action: `${action}.failed`,
            outcome: 'failure',
            // Only an AxError's message is known not to carry secrets.
            reason: (err ? `${err.code}: ${err.message}` : 'INTERNAL: the work threw').slice(0, 2000),
            metadata: { runId, code: err?.code ?? 'INTERNAL', durationMs: this.#clock.now() - startedAt },
          };
          const refundable = s.refundOnFailure && key ? consumed.filter((q) => !q.replayed) : [];
          try {
            if (refundable.length === 0) {
              await this.#append(ctx, event);
              return;
            }
            await this.#o.store.transaction(async (tx) => {
              const refunds: { quota: string; amount: number; refunded: boolean }[] = [];
              for (const q of refundable) {
                const r = await quotas.refund(ctx, { quota: q.quota, idempotencyKey: key! }, { tx });
                refunds.push({ quota: q.quota, amount: r.amount, refunded: r.refunded });
              }
              await audit.record(tx, ctx, { ...event, metadata: { ...event.metadata, refunds } });
            });
          } catch (e) {
            this.#o.onError?.(e, 'failed-event');
          }
        }),
    };
  }

  #append(ctx: ExecutionContext, event: GuardAuditEvent): Promise<unknown> {
    return this.#o.audit.append(ctx, event);
  }
}

// The audit resource of a spec: its `resource`, else the permission's subject type and `object.id`.
function resourceOf(
  s: Pick<ParsedGuardSpec, 'object' | 'resource'>,
  rule: { subject: string },
): { resource: string | null; resourceType: string } {
  const objectId = s.object?.id;
  return {
    resource:
      s.resource?.id ?? (typeof objectId === 'string' || typeof objectId === 'number' ? `${objectId}` : null),
    resourceType: s.resource?.type ?? rule.subject,
  };
}

function isRefusal(err: unknown): err is AxError {
  return err instanceof AxError && REFUSALS.has(err.code);
}

/** Builds the guard once per process; `guard.run(ctx, spec, fn)` per guarded call. */
export function createGuard<P extends GuardPorts>(options: GuardOptions<P>): Guard<P> {
  return new Guard(options);
}
