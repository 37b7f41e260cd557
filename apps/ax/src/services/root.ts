import type { AuditLog } from '@ax/audit';
import {
  type Clock,
  createIdGenerator,
  type IdGenerator,
  type Store,
  type StorePorts,
  systemClock,
} from '@ax/core';
import type { Keyring } from '@ax/crypto';
// Every command authorizes through the guard, which needs tenancy and rbac: those load with the root. The
// keyring, the audit log and the secrets manager load on first use.
import { createGuard, type Guard } from '@ax/guard';
import { createRbac, type Rbac } from '@ax/rbac';
import type { SecretsManager } from '@ax/secrets';
import { createTenancy, RateLimitService, type Tenancy } from '@ax/tenancy';
import { currentAuditSink } from './audit-sink.js';
import { APP_AUDIT_ACTIONS, wireRbacAudit, wireSecretsAudit, wireTenancyAudit } from './audit-wiring.js';

/** The MAC purpose audit signatures use in the keyring: one key per purpose and version. */
export const AUDIT_MAC_PURPOSE = 'audit.chain';

/** Options of {@link createServices}. */
export interface ServicesOptions {
  /** Any adapter's store: the app never names one. */
  store: Store;
  /** Where `AX_MASTER_KEY`, `NODE_ENV` and `AX_AUDIT_DENIED` are read (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** The master key itself, instead of `AX_MASTER_KEY`. */
  masterKey?: string | Uint8Array;
  clock?: Clock;
  ids?: IdGenerator;
  /** Keyring warnings (the insecure development key); silent by default. */
  onWarning?: (message: string) => void;
  /**
   * Encryptions the keyring reserves per round trip: small for a short-lived CLI run (a run abandons the rest
   * of its block), large for a server (default 64).
   */
  reserveBlockSize?: number;
  /** Where errors of after-commit listeners (observations such as denied decisions) go. */
  onListenerError?: (err: unknown) => void;
}

/**
 * Every @ax service, built once per process on one store. Each is built on first use (its package loaded by
 * dynamic import), so a command loads only what it uses: `ax tenant list` never opens the keyring.
 * Audit writes started outside an awaited path go to the running request's sink (`runWithAuditSink`), so
 * concurrent HTTP requests never share one.
 */
export interface Services {
  readonly store: Store;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  /** The keyring, opened once per process; it reserves encryptions only when it first encrypts. */
  keyring(): Promise<Keyring>;
  /** The audit log, signing with the keyring's `audit.chain` key. */
  audit(): Promise<AuditLog>;
  /** Roles and permission checks; changes are audited in their transaction, denials in the request's sink. */
  rbac(): Promise<Rbac>;
  /** Tenants and quotas; every event is audited in its transaction. */
  tenancy(): Promise<Tenancy<StorePorts>>;
  /** Per-tenant secrets; changes and reads are audited in their transaction. */
  secrets(): Promise<SecretsManager>;
  /** Per-user and per-tenant rate limits. */
  rateLimits(): Promise<RateLimitService>;
  /** The guarded pipeline: the one place that authorizes. */
  guard(): Promise<Guard>;
  /** Stops what the services started (timers); the store is the caller's to close. */
  close(): Promise<void>;
}

// A lazily built, memoised value: built by the first caller, shared by every later one; a failed build is
// forgotten so the next caller retries it.
function once<T>(build: () => Promise<T>): (() => Promise<T>) & { built(): Promise<T> | undefined } {
  let value: Promise<T> | undefined;
  const get = () => {
    value ??= build().catch((err: unknown) => {
      value = undefined;
      throw err;
    });
    return value;
  };
  // what was built (or is being built), without building it
  return Object.assign(get, { built: () => value });
}

/** Builds the services root of one process. Nothing is opened until it is first used. */
export function createServices(options: ServicesOptions): Services {
  const { store } = options;
  const env = options.env ?? process.env;
  const clock = options.clock ?? systemClock;
  const ids = options.ids ?? createIdGenerator(clock);
  const onWarning = options.onWarning ?? (() => undefined);
  const onListenerError =
    options.onListenerError ??
    ((err: unknown) =>
      process.emitWarning(`audit listener failed: ${err instanceof Error ? err.message : String(err)}`));

  const keyring = once(async () => {
    const { Keyring } = await import('@ax/crypto');
    return Keyring.open({
      store: store.keyring,
      env,
      masterKey: options.masterKey,
      clock,
      reserveBlockSize: options.reserveBlockSize ?? 64,
      // a read or a refused request writes nothing to the keyring store
      reserveOnOpen: false,
      onWarning,
    });
  });

  const audit = once(async () => {
    const [{ AuditLog }, ring] = await Promise.all([import('@ax/audit'), keyring()]);
    return new AuditLog({
      store,
      clock,
      ids,
      signer: ring.macSigner(AUDIT_MAC_PURPOSE),
      actions: APP_AUDIT_ACTIONS,
    });
  });

  const rbac = once(async () => {
    const service = createRbac({ store, clock, ids, onListenerError: (err) => onListenerError(err) });
    wireRbacAudit(service.events, audit, {
      denied: env.AX_AUDIT_DENIED !== 'off',
      sink: currentAuditSink,
      onError: onListenerError,
    });
    return service;
  });

  const tenancy = once(async () => {
    const service = createTenancy({ store, clock, ids });
    wireTenancyAudit(service.events, audit);
    return service;
  });

  const secrets = once(async () => {
    const [{ SecretsManager }, ring] = await Promise.all([import('@ax/secrets'), keyring()]);
    const service = new SecretsManager({ store, keyring: ring, clock });
    wireSecretsAudit(service.events, audit);
    return service;
  });

  const rateLimits = once(async () => new RateLimitService({ store: store.rateLimits }));

  const guard = once(async () => {
    const [t, r] = await Promise.all([tenancy(), rbac()]);
    return createGuard({
      store,
      clock,
      ids,
      tenants: t.tenants,
      quotas: t.quotas,
      rbac: r,
      // built when the guard first rate-limits (guard.run): an authorize-only command never loads them
      rateLimits: { check: async (input) => (await rateLimits()).check(input) },
      // what the guard cannot throw to its caller (a denied or failed event not written, a lease not released)
      onError: (err, where) =>
        onListenerError(new Error(`guard ${where}: ${err instanceof Error ? err.message : String(err)}`)),
      // opened when the guard first writes an event: an allowed read opens no keyring
      audit: {
        record: async (tx, ctx, event) => (await audit()).record(tx, ctx, event),
        append: async (ctx, event) => (await audit()).append(ctx, event),
      },
    });
  });

  return {
    store,
    clock,
    ids,
    keyring,
    audit,
    rbac,
    tenancy,
    secrets,
    rateLimits,
    guard,
    async close() {
      // only what was built: closing must not open the keyring just to close it
      (await keyring.built()?.catch(() => null))?.close();
    },
  };
}
