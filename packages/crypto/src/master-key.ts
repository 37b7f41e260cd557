import { createHash, scrypt as scryptCb } from 'node:crypto';
import { inspect } from 'node:util';
import { CryptoError } from '@ax/core';

/**
 * The documented, insecure development master key. Used only outside production when no key is configured,
 * with a warning, so `ax secret set` works on a fresh dev machine. Refused when `NODE_ENV=production`.
 */
export const INSECURE_DEV_MASTER_KEY = 'ax-insecure-dev-master-key/do-not-use-in-production';

/** Minimum raw key length in bytes, and minimum passphrase length in characters, in production. */
export const MIN_RAW_KEY_BYTES = 32;
export const MIN_PASSPHRASE_CHARS = 32;

// Values people paste from examples. Compared by SHA-256 so the list does not read like a key file.
const KNOWN_DEFAULTS = new Set(
  [
    INSECURE_DEV_MASTER_KEY,
    'changeme',
    'change-me',
    'changeit',
    'secret',
    'password',
    'default',
    'masterkey',
    'master-key',
    'development',
    'test',
    'example',
  ]
    .map((v) => createHash('sha256').update(v).digest('hex'))
    // The dev key as the raw bytes it resolves to, in case someone copies those into AX_MASTER_KEY.
    .concat(
      createHash('sha256')
        .update(createHash('sha256').update(INSECURE_DEV_MASTER_KEY).digest())
        .digest('hex'),
    ),
);

function isKnownDefault(bytes: Buffer): boolean {
  return (
    KNOWN_DEFAULTS.has(createHash('sha256').update(bytes).digest('hex')) || bytes.every((b) => b === bytes[0])
  );
}

/** Why a master key was refused. */
export type MasterKeyProblem = 'missing' | 'short' | 'known-default' | 'malformed';

/**
 * A master key held out of sight: `toJSON`, `toString` and `util.inspect` never show it. `raw` keys are
 * used directly as HKDF input; `passphrase` keys are stretched with scrypt first.
 */
export class MasterKey {
  readonly kind: 'raw' | 'passphrase';
  /** True for {@link INSECURE_DEV_MASTER_KEY} and other published or trivial values. */
  readonly insecureDefault: boolean;
  readonly #bytes: Buffer;

  /** @internal use {@link resolveMasterKey} */
  constructor(kind: 'raw' | 'passphrase', bytes: Buffer, insecureDefault: boolean) {
    this.kind = kind;
    this.#bytes = bytes;
    this.insecureDefault = insecureDefault;
  }

  /** @internal The key bytes, for derivation only. */
  bytes(): Buffer {
    return this.#bytes;
  }

  toJSON(): string {
    return '[MasterKey]';
  }

  toString(): string {
    return '[MasterKey]';
  }

  [inspect.custom](): string {
    return `[MasterKey ${this.kind}]`;
  }
}

/** Where a key comes from and the environment it is judged in. */
export interface MasterKeySource {
  /** Explicit key; wins over the environment. `base64:…`, `hex:…` or 64 hex digits are raw keys. */
  masterKey?: string | Uint8Array;
  /** Environment to read `AX_MASTER_KEY` and `NODE_ENV` from (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** Receives warnings (insecure default, short key outside production). Default: `process.emitWarning`. */
  onWarning?: (message: string) => void;
}

function refuse(problem: MasterKeyProblem, message: string): CryptoError {
  return new CryptoError(`master key refused: ${message}`, {
    details: { problem },
  });
}

function parse(value: string | Uint8Array): {
  kind: 'raw' | 'passphrase';
  bytes: Buffer;
} {
  if (value instanceof Uint8Array) return { kind: 'raw', bytes: Buffer.from(value) };
  const trimmed = value.trim();
  const prefixed = /^(base64|base64url|hex):(.*)$/s.exec(trimmed);
  if (prefixed) {
    const [, enc, body = ''] = prefixed;
    const valid = enc === 'hex' ? /^(?:[0-9a-fA-F]{2})+$/.test(body) : /^[A-Za-z0-9+/_-]+={0,2}$/.test(body);
    if (!valid) throw refuse('malformed', `AX_MASTER_KEY says ${enc}: but is not valid ${enc}`);
    return {
      kind: 'raw',
      bytes: Buffer.from(body, enc === 'hex' ? 'hex' : 'base64'),
    };
  }
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return { kind: 'raw', bytes: Buffer.from(trimmed, 'hex') };
  return { kind: 'passphrase', bytes: Buffer.from(value, 'utf8') };
}

/**
 * Resolves the master key from the explicit option or `AX_MASTER_KEY`, and judges it. With
 * `NODE_ENV=production` a missing, short or known-default key is refused with a {@link CryptoError} saying
 * why (`details.problem`). Elsewhere, a missing key falls back to {@link INSECURE_DEV_MASTER_KEY} and weak
 * keys pass, each with a warning. Neither the key nor any part of it appears in an error or warning.
 */
export function resolveMasterKey(source: MasterKeySource = {}): MasterKey {
  const env = source.env ?? process.env;
  const warn = source.onWarning ?? ((m: string) => process.emitWarning(m, { code: 'AX_MASTER_KEY' }));
  const production = env.NODE_ENV === 'production';
  const configured = source.masterKey ?? (env.AX_MASTER_KEY === '' ? undefined : env.AX_MASTER_KEY);
  if (configured === undefined) {
    if (production) {
      throw refuse(
        'missing',
        'AX_MASTER_KEY is not set and NODE_ENV=production; generate one with `openssl rand -base64 32` and set AX_MASTER_KEY=base64:<that>',
      );
    }
    warn(
      'AX_MASTER_KEY is not set: using the documented insecure development key. Never use it for real data; set AX_MASTER_KEY (openssl rand -base64 32).',
    );
    // A raw key (its SHA-256), so a dev machine does not pay for scrypt on every CLI run.
    return new MasterKey('raw', createHash('sha256').update(INSECURE_DEV_MASTER_KEY).digest(), true);
  }
  const { kind, bytes } = parse(configured);
  if (bytes.byteLength === 0) throw refuse('missing', 'the master key is empty');
  const known =
    isKnownDefault(bytes) ||
    // A passphrase is also judged as typed: the whitespace of an env file or a change of case does not make
    // a published value secret.
    (kind === 'passphrase' &&
      isKnownDefault(Buffer.from(bytes.toString('utf8').trim().toLowerCase(), 'utf8')));
  if (known) {
    if (production)
      throw refuse('known-default', 'it is a published default or trivial value; generate a random key');
    warn(
      'the master key is a published default or trivial value: fine for development, never for real data.',
    );
  }
  const short =
    kind === 'raw'
      ? bytes.byteLength < MIN_RAW_KEY_BYTES
      : [...bytes.toString('utf8')].length < MIN_PASSPHRASE_CHARS;
  if (short) {
    const rule =
      kind === 'raw'
        ? `raw keys need at least ${MIN_RAW_KEY_BYTES} bytes`
        : `passphrases need at least ${MIN_PASSPHRASE_CHARS} characters`;
    if (production) throw refuse('short', `it is too short (${rule})`);
    if (!known) warn(`the master key is too short for production (${rule}).`);
  }
  return new MasterKey(kind, bytes, known);
}

/** scrypt parameters recorded in the keyring when the master key is a passphrase. */
export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** OWASP's scrypt recommendation: N=2^17, r=8, p=1 (128 MiB). */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 17, r: 8, p: 1 };

/** Stretches a passphrase into 32 bytes of input key material. */
export function scryptKey(passphrase: Buffer, salt: Uint8Array, params: ScryptParams): Promise<Buffer> {
  const maxmem = 128 * params.N * params.r * params.p + 64 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    scryptCb(passphrase, salt, 32, { ...params, maxmem }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}
