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

/** Metadata keys redacted by default (matched anywhere in the key, case-insensitive). */
export const DEFAULT_REDACT_PATTERNS: readonly RegExp[] = [
  /pass(word|phrase|wd)?/i,
  /secret/i,
  /token/i,
  /api[-_]?key/i,
  /authori[sz]ation/i,
  /cookie/i,
];

const MAX_DEPTH = 12;

/**
 * Returns a copy of `value` in which every object member whose key matches a pattern, and every
 * {@link SecretValue}, is replaced by `[REDACTED]`. Runs before hashing, so secrets never reach storage.
 */
export function redact(value: unknown, patterns: readonly RegExp[], depth = 0): unknown {
  if (value instanceof SecretValue) return REDACTED;
  if (depth > MAX_DEPTH) return '[TRUNCATED]';
  if (Array.isArray(value)) return value.map((v) => redact(v, patterns, depth + 1));
  if (value instanceof Uint8Array) return `[${value.byteLength} bytes]`;
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = patterns.some((p) => p.test(k)) ? REDACTED : redact(v, patterns, depth + 1);
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
