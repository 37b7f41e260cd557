import type { z } from 'zod';

/** Stable error codes. Scripts, the CLI and the HTTP API switch on these; never on message text. */
export const ERROR_CODES = [
  'VALIDATION',
  'NOT_FOUND',
  'CONFLICT',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'QUOTA_EXCEEDED',
  'RATE_LIMITED',
  'TENANT_SUSPENDED',
  'INTEGRITY',
  'CRYPTO',
  'INTERNAL',
] as const;

/** One of the stable error codes. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** JSON-safe value carried in `details`. */
export type ErrorDetails = Record<string, unknown>;

/** Options every {@link AxError} accepts. */
export interface AxErrorOptions {
  details?: ErrorDetails;
  cause?: unknown;
}

/** What `toJSON()` returns: safe to log and to send to a client. */
export interface AxErrorJSON {
  name: string;
  code: ErrorCode;
  status: number;
  message: string;
  details: ErrorDetails;
}

/**
 * Key patterns whose values are secret, matched anywhere in a key, case-insensitively. The one list shared by
 * `AxError.toJSON` and audit redaction (@ax/audit), so a key hidden from an error is hidden from the log too.
 */
export const SECRET_KEY_PATTERNS: readonly RegExp[] = Object.freeze([
  /pass(word|phrase|wd)?/i,
  /secret/i,
  /token/i,
  /api[-_]?key/i,
  /authori[sz]ation/i,
  /cookie/i,
  /master[-_]?key/i,
  /private[-_]?key/i,
  /plaintext/i,
  /^value$/i,
]);

/** True when a key's value is secret by {@link SECRET_KEY_PATTERNS}. */
export function isSecretKey(key: string): boolean {
  for (const p of SECRET_KEY_PATTERNS) if (p.test(key)) return true;
  return false;
}

const MAX_DEPTH = 6;

/** Returns a copy of `value` with secret-looking keys replaced by `[REDACTED]`. */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH) return '[TRUNCATED]';
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1));
  if (value instanceof Uint8Array) return `[${value.byteLength} bytes]`;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = isSecretKey(k) ? '[REDACTED]' : redactSecrets(v, depth + 1);
    }
    return out;
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}

// Symbol.for: the same symbol in every copy of this package loaded in the process.
const AX_ERROR = Symbol.for('ax.error');

/**
 * The root of every error @ax throws. `code` is stable, `status` is the HTTP status the API answers with.
 * `details` is structured context; `toJSON()` redacts secret-looking keys in it and never includes `cause`.
 */
export class AxError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: ErrorDetails;

  /**
   * `instanceof` also recognises an AxError made by another copy of this package (an adapter loaded beside a
   * bundled app, two versions in one tree), by a registry-wide brand: `err instanceof AxError` and
   * `err instanceof ValidationError` then answer by brand and class name, not by which copy made it.
   */
  // `this` is the class on the right of `instanceof` (AxError or a subclass): it cannot be named statically.
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: the class being tested against, AxError or a subclass
    const target = this as unknown as typeof AxError;
    if (Function.prototype[Symbol.hasInstance].call(target, value)) return true;
    if (
      typeof value !== 'object' ||
      value === null ||
      (value as Record<symbol, unknown>)[AX_ERROR] !== true
    ) {
      return false;
    }
    if (target === AxError) return true;
    // a subclass: the value's own class or one of its ancestors must bear this class's name
    for (let p = Object.getPrototypeOf(value); p && p !== Error.prototype; p = Object.getPrototypeOf(p)) {
      if (p.constructor?.name === target.name) return true;
    }
    return false;
  }

  constructor(code: ErrorCode, status: number, message: string, options: AxErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    Object.defineProperty(this, AX_ERROR, { value: true });
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.details = options.details ?? {};
  }

  /** Safe serialisation: no stack, no cause, secret-looking detail keys redacted. */
  toJSON(): AxErrorJSON {
    return {
      name: this.name,
      code: this.code,
      status: this.status,
      message: this.message,
      details: redactSecrets(this.details) as ErrorDetails,
    };
  }
}

/** True when `err` is an {@link AxError}, optionally with the given code. */
export function isAxError(err: unknown, code?: ErrorCode): err is AxError {
  return err instanceof AxError && (code === undefined || err.code === code);
}

/** One zod issue as carried by {@link ValidationError}. */
export interface ValidationIssue {
  path: (string | number)[];
  message: string;
  code: string;
}

/** Input failed validation. `issues` keeps zod's field paths. */
export class ValidationError extends AxError {
  readonly issues: ValidationIssue[];

  constructor(message: string, issues: ValidationIssue[] = [], options: AxErrorOptions = {}) {
    super('VALIDATION', 400, message, {
      ...options,
      details: { ...options.details, issues },
    });
    this.issues = issues;
  }

  /** Builds a ValidationError from a zod error; `what` names the input (e.g. "tenant.create"). */
  static fromZod(error: z.ZodError, what = 'input'): ValidationError {
    const issues = error.issues.map((i) => ({
      path: i.path.map((p) => (typeof p === 'symbol' ? String(p) : p)),
      message: i.message,
      code: i.code,
    }));
    const first = issues[0];
    const where = first && first.path.length > 0 ? ` at ${first.path.join('.')}` : '';
    return new ValidationError(`invalid ${what}${where}: ${first?.message ?? 'invalid'}`, issues);
  }
}

/** The thing asked for does not exist (or is not visible to the caller's tenant). */
export class NotFoundError extends AxError {
  constructor(message: string, options: AxErrorOptions = {}) {
    super('NOT_FOUND', 404, message, options);
  }
}

/** A uniqueness or check-and-set conflict. */
export class ConflictError extends AxError {
  constructor(message: string, options: AxErrorOptions = {}) {
    super('CONFLICT', 409, message, options);
  }
}

/** The caller is not authenticated. */
export class UnauthorizedError extends AxError {
  constructor(message = 'unauthenticated', options: AxErrorOptions = {}) {
    super('UNAUTHORIZED', 401, message, options);
  }
}

/** The caller is authenticated but not allowed. */
export class ForbiddenError extends AxError {
  constructor(message: string, options: AxErrorOptions = {}) {
    super('FORBIDDEN', 403, message, options);
  }
}

/** Details carried by {@link QuotaExceededError}. */
export interface QuotaExceededDetails {
  quota: string;
  limit: number;
  used: number;
  requested: number;
  [key: string]: unknown;
}

/** A consume would take a quota past its limit; nothing was written. */
export class QuotaExceededError extends AxError {
  declare readonly details: QuotaExceededDetails;

  constructor(details: QuotaExceededDetails, options: Omit<AxErrorOptions, 'details'> = {}) {
    super(
      'QUOTA_EXCEEDED',
      429,
      `quota ${details.quota} exceeded: ${details.used} used of ${details.limit}, ${details.requested} requested`,
      { ...options, details },
    );
  }
}

/** A rate limit was hit; retry after `retryAfterMs`. */
export class RateLimitExceededError extends AxError {
  readonly retryAfterMs: number;

  constructor(retryAfterMs: number, options: AxErrorOptions = {}) {
    super('RATE_LIMITED', 429, `rate limit exceeded; retry after ${retryAfterMs} ms`, {
      ...options,
      details: { ...options.details, retryAfterMs },
    });
    this.retryAfterMs = retryAfterMs;
  }
}

/** The tenant is suspended or deleted; `reason` says why. */
export class TenantSuspendedError extends AxError {
  constructor(tenantId: string, reason: string | null, options: AxErrorOptions = {}) {
    super('TENANT_SUSPENDED', 403, `tenant ${tenantId} is not active${reason ? `: ${reason}` : ''}`, {
      ...options,
      details: { ...options.details, tenantId, reason },
    });
  }
}

/** Stored data or code failed an integrity check (migration checksum, audit chain, schema version). */
export class IntegrityError extends AxError {
  constructor(message: string, options: AxErrorOptions = {}) {
    super('INTEGRITY', 500, message, options);
  }
}

/** A cryptographic operation failed. The message never says which check failed beyond a category. */
export class CryptoError extends AxError {
  constructor(message: string, options: AxErrorOptions = {}) {
    super('CRYPTO', 400, message, options);
  }
}

/** Converts anything thrown into an AxError, wrapping unknown errors as INTERNAL. */
export function toAxError(err: unknown): AxError {
  if (err instanceof AxError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new AxError('INTERNAL', 500, message, { cause: err });
}
