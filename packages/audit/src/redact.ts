import { SECRET_KEY_PATTERNS } from '@ax/core';
import { canonicalJson } from './canonical.js';

const SECRET_MARK: unique symbol = Symbol('ax.audit.secret');

/** A value marked secret: it never enters the log (recorded as `[REDACTED]`), and never prints. */
export class SecretValue {
  readonly [SECRET_MARK] = true;
  readonly #value: unknown;

  constructor(value: unknown) {
    this.#value = value;
  }

  /** The wrapped value, for code that needs it; the audit log never calls this. */
  reveal(): unknown {
    return this.#value;
  }

  toJSON(): string {
    return REDACTED;
  }

  toString(): string {
    return REDACTED;
  }
}

/** Marks `value` secret: `metadata: { apiKeyPreview: secret(k) }` records `[REDACTED]`. */
export function secret(value: unknown): SecretValue {
  return new SecretValue(value);
}

/** What redacted values become. */
export const REDACTED = '[REDACTED]';

/**
 * Metadata keys redacted by default: @ax/core's {@link SECRET_KEY_PATTERNS}, the one list `AxError.toJSON`
 * redacts too, so a key hidden from an error is hidden from the log.
 */
export const DEFAULT_REDACT_PATTERNS: readonly RegExp[] = SECRET_KEY_PATTERNS;

const MAX_DEPTH = 12;

/**
 * Returns a copy of `value` in which every object member whose key matches a pattern, and every
 * {@link SecretValue}, is replaced by `[REDACTED]`. Runs before hashing, so secrets never reach storage.
 */
export function redact(value: unknown, patterns: readonly RegExp[], depth = 0): unknown {
  if (value instanceof SecretValue) return REDACTED;
  if (depth > MAX_DEPTH) return '[TRUNCATED]';
  if (Array.isArray(value)) return Array.from(value, (v) => redact(v, patterns, depth + 1)); // holes → undefined
  if (value instanceof Uint8Array) return `[${value.byteLength} bytes]`;
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      // defineProperty, not `out[k] =`: a "__proto__" key (JSON.parse makes it an own key) would set the
      // prototype instead, and the member would silently vanish from the record.
      Object.defineProperty(out, k, {
        value: patterns.some((p) => p.test(k)) ? REDACTED : redact(v, patterns, depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return value;
}

/** Turns configured patterns (strings are matched as case-insensitive substrings) into regexes. */
export function redactPatterns(extra: readonly (string | RegExp)[] = []): RegExp[] {
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return [
    ...DEFAULT_REDACT_PATTERNS,
    ...extra.map((p) =>
      typeof p === 'string' ? new RegExp(esc(p), 'i') : new RegExp(p.source, p.flags.replace(/[gy]/g, '')),
    ),
  ];
}

/** Thrown inside {@link redactedCanonicalJson}'s fast path for anything it leaves to the general path. */
const SLOW = Symbol('slow');

/**
 * `canonicalJson(redact(value, patterns))` in one pass, without building the redacted copy: the hot path
 * of every append. `isSecretKey` answers the key patterns (callers cache it per key). Values the fast path
 * does not handle (Dates, non-finite numbers, functions, deep nesting) go through the general path, so
 * the bytes and errors are exactly those of `canonicalJson(redact(…))` (a property test checks it).
 */
export function redactedCanonicalJson(
  value: unknown,
  patterns: readonly RegExp[],
  isSecretKey: (key: string) => boolean,
): string {
  try {
    return fast(value, isSecretKey, 0);
  } catch (err) {
    if (err !== SLOW) throw err;
    return canonicalJson(redact(value, patterns));
  }
}

function fast(v: unknown, isSecretKey: (key: string) => boolean, depth: number): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(v)) throw SLOW;
      return JSON.stringify(v);
    case 'object':
      break;
    default:
      throw SLOW;
  }
  if (depth >= MAX_DEPTH) throw SLOW;
  if (v instanceof SecretValue) return '"[REDACTED]"';
  if (Array.isArray(v)) {
    let s = '[';
    for (let i = 0; i < v.length; i++) {
      if (i > 0) s += ',';
      const x: unknown = v[i];
      s += x === undefined ? 'null' : fast(x, isSecretKey, depth + 1);
    }
    return `${s}]`;
  }
  if (v instanceof Uint8Array) return `"[${v.byteLength} bytes]"`;
  if (v instanceof Date || typeof (v as { toJSON?: unknown }).toJSON === 'function') throw SLOW;
  const keys = Object.keys(v).sort();
  let s = '{';
  for (const k of keys) {
    const x = (v as Record<string, unknown>)[k];
    const secretKey = isSecretKey(k);
    if (x === undefined && !secretKey) continue;
    if (s.length > 1) s += ',';
    s += `${JSON.stringify(k)}:${secretKey ? '"[REDACTED]"' : fast(x, isSecretKey, depth + 1)}`;
  }
  return `${s}}`;
}
