import { randomBytes } from 'node:crypto';
import {
  type Actor,
  type Clock,
  ConflictError,
  type ExecutionContext,
  NotFoundError,
  parseInput,
  type SecretStore,
  type SecretVersionRecord,
  type StorePorts,
  systemClock,
  type Transactional,
} from '@ax/core';
import type { Keyring } from '@ax/crypto';
import { secretAad } from './aad.js';
import { z } from 'zod';
import { type SecretEvent, type SecretEventType, SecretEvents } from './events.js';
import { type RewrapOptions, type RewrapResult, rewrapSecrets } from './rewrap.js';
import {
  casSchema,
  looksLikeScope,
  SECRET_KEY_PATTERN,
  scopeSchema,
  secretKeySchema,
  valueSchema,
  versionSchema,
} from './schemas.js';

/** Who asks and for which tenant: an {@link ExecutionContext} or the part of it secrets need. */
export type SecretScope = Pick<ExecutionContext, 'tenantId' | 'actor' | 'requestId'>;

/** The ports the manager uses. */
export type SecretsStore = Transactional<Pick<StorePorts, 'secrets'>>;

/** Options for {@link SecretsManager}. */
export interface SecretsManagerOptions {
  store: SecretsStore;
  keyring: Keyring;
  clock?: Clock;
  /** Versions kept per secret, counting the current one (default 10, as Vault KV v2). */
  keepVersions?: number;
  /** Where a throwing event listener's error goes (default: a process warning). */
  onListenerError?: (err: unknown, event: SecretEvent) => void;
}

/** Options of a write. */
export interface WriteOptions {
  /** Check-and-set: succeed only if the current version is this (0: the secret must not exist). */
  cas?: number;
  /** Run on the ports of the caller's transaction, so the write commits or rolls back with its work. */
  tx?: Pick<StorePorts, 'secrets'>;
}

/** Metadata of a secret: never its value. */
export interface SecretMetadata {
  key: string;
  currentVersion: number;
  createdAt: number;
  updatedAt: number;
  createdBy: string;
  updatedBy: string;
}

/** Metadata of one stored version. */
export interface SecretVersionInfo {
  version: number;
  current: boolean;
  keyVersion: number;
  createdAt: number;
  createdBy: string;
}

const optionsSchema = z.object({
  store: z.custom<SecretsStore>(
    (v) => typeof v === 'object' && v !== null && 'secrets' in v,
    'expected a store',
  ),
  keyring: z.custom<Keyring>(
    (v) => typeof v === 'object' && v !== null && 'encrypt' in v,
    'expected a Keyring',
  ),
  clock: z.custom<Clock>((v) => typeof v === 'object' && v !== null && 'now' in v).optional(),
  keepVersions: z.number().int().min(1).max(1000).default(10),
  onListenerError: z.function().optional(),
});
const listSchema = z.object({
  prefix: z.string().max(200).optional(),
  afterKey: z.string().max(200).optional(),
  limit: z.number().int().min(1).max(1000).default(100),
});
// A `tx` must carry a secrets port: anything else would silently write outside the caller's transaction.
const txSchema = z.custom<Pick<StorePorts, 'secrets'>>(
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { secrets?: { write?: unknown } }).secrets?.write === 'function',
  'expected the ports of a store transaction (with `secrets`)',
);
const writeOptionsSchema = z.object({ cas: casSchema, tx: txSchema.optional() });
const rotateOptionsSchema = writeOptionsSchema.extend({
  value: valueSchema.optional(),
  randomBytes: z.number().int().min(16).max(1024).default(32),
});

const MAX_WRITE_ATTEMPTS = 8;

function actorString(actor: Actor): string {
  return `${actor.type}:${actor.id}`;
}

/**
 * Per-tenant secrets on a {@link SecretStore}: values encrypted by the keyring with AAD binding tenant, key
 * and version, KV-v2-like versions, check-and-set, metadata-only listing, and typed events.
 */
export class SecretsManager {
  /** created / updated / accessed / deleted events; never carry a value. */
  readonly events: SecretEvents;
  readonly #store: SecretsStore;
  readonly #keyring: Keyring;
  readonly #clock: Clock;
  readonly #keep: number;

  constructor(options: SecretsManagerOptions) {
    const o = parseInput(optionsSchema, options, 'secrets manager options');
    this.#store = o.store;
    this.#keyring = o.keyring;
    this.#clock = o.clock ?? systemClock;
    this.#keep = o.keepVersions;
    this.events = new SecretEvents(o.onListenerError as SecretsManagerOptions['onListenerError']);
  }

  #scopeOnly(scope: SecretScope): void {
    if (!looksLikeScope(scope)) parseInput(scopeSchema, scope, 'secret scope');
  }

  #scope(scope: SecretScope, key: string): void {
    this.#scopeOnly(scope);
    if (typeof key !== 'string' || !SECRET_KEY_PATTERN.test(key))
      parseInput(secretKeySchema, key, 'secret key');
  }

  #emit(type: SecretEventType, scope: SecretScope, key: string, version: number): void {
    if (!this.events.listening(type)) return;
    const event: SecretEvent = {
      type,
      tenantId: scope.tenantId,
      key,
      version,
      actor: scope.actor,
      at: this.#clock.now(),
    };
    if (scope.requestId !== undefined) event.requestId = scope.requestId;
    this.events.emit(event);
  }

  // The AAD names the tenant and key that were asked for and the version of the row found: a ciphertext
  // copied into another tenant's, key's or version's row fails to decrypt.
  #open(scope: SecretScope, key: string, row: SecretVersionRecord): Buffer | Promise<Buffer> {
    const aad = secretAad(scope.tenantId, key, row.version);
    // A version newer than this process knows means another process rotated: refresh once, then decrypt.
    // The usual case stays synchronous (no extra await on the read path).
    if (
      row.keyVersion > this.#keyring.latestVersion ||
      this.#keyring.versionOf(row.ciphertext) > this.#keyring.latestVersion
    ) {
      return this.#keyring.refresh().then(() => this.#keyring.decrypt(row.ciphertext, aad));
    }
    return this.#keyring.decrypt(row.ciphertext, aad);
  }

  async #write(
    scope: SecretScope,
    key: string,
    value: string | Uint8Array,
    opts: { cas?: number; tx?: Pick<StorePorts, 'secrets'> },
    mustExist: boolean,
  ): Promise<{ version: number; created: boolean }> {
    const secrets: SecretStore = opts.tx?.secrets ?? this.#store.secrets;
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      const head = await secrets.head(scope.tenantId, key);
      const current = head?.currentVersion ?? 0;
      if (mustExist && current === 0) throw new NotFoundError(`secret ${key} not found`);
      if (opts.cas !== undefined && opts.cas !== current) {
        throw new ConflictError(`secret ${key} is at version ${current}, not ${opts.cas}`, {
          details: { key, currentVersion: current, expectedVersion: opts.cas },
        });
      }
      const version = current + 1;
      const ciphertext = await this.#keyring.encryptAsync(value, secretAad(scope.tenantId, key, version));
      const ok = await secrets.write({
        expectedVersion: current,
        keep: this.#keep,
        version: {
          tenantId: scope.tenantId,
          key,
          version,
          ciphertext,
          keyVersion: this.#keyring.versionOf(ciphertext),
          createdAt: this.#clock.now(),
          createdBy: actorString(scope.actor),
        },
      });
      if (ok) {
        this.#emit(current === 0 ? 'created' : 'updated', scope, key, version);
        return { version, created: current === 0 };
      }
      // Someone else wrote first. With cas, that is the caller's conflict; without, write on top of theirs.
      if (opts.cas !== undefined) {
        throw new ConflictError(`secret ${key} changed concurrently; expected version ${opts.cas}`, {
          details: { key, expectedVersion: opts.cas },
        });
      }
    }
    throw new ConflictError(`secret ${key}: too many concurrent writers`, { details: { key } });
  }

  /**
   * Stores `value` as the next version of `key` in the scope's tenant (creating the secret at version 1).
   * With `cas`, fails with {@link ConflictError} unless the current version is `cas`.
   */
  async set(
    scope: SecretScope,
    key: string,
    value: string | Uint8Array,
    options: WriteOptions = {},
  ): Promise<{ version: number; created: boolean }> {
    this.#scope(scope, key);
    parseInput(valueSchema, value, 'secret value');
    const o = parseInput(writeOptionsSchema, options, 'write options');
    return this.#write(scope, key, value, { cas: o.cas, tx: o.tx }, false);
  }

  /**
   * Replaces an existing secret's value with `value`, or with a fresh random value (`randomBytes` bytes,
   * base64url) when none is given. Throws {@link NotFoundError} when the secret does not exist.
   */
  async rotate(
    scope: SecretScope,
    key: string,
    options: WriteOptions & { value?: string | Uint8Array; randomBytes?: number } = {},
  ): Promise<{ version: number }> {
    this.#scope(scope, key);
    const o = parseInput(rotateOptionsSchema, options, 'rotate options');
    const value = o.value ?? randomBytes(o.randomBytes).toString('base64url');
    const { version } = await this.#write(scope, key, value, { cas: o.cas, tx: o.tx }, true);
    return { version };
  }

  /** The value (UTF-8) of the current version, or of `version`. {@link NotFoundError} when absent. */
  async get(scope: SecretScope, key: string, options?: { version?: number }): Promise<string> {
    const bytes = await this.getBytes(scope, key, options);
    const text = bytes.toString('utf8');
    bytes.fill(0);
    return text;
  }

  /** Like {@link get}, as bytes. The caller should zero the buffer when done. */
  async getBytes(scope: SecretScope, key: string, options?: { version?: number }): Promise<Buffer> {
    this.#scope(scope, key);
    const version = options?.version;
    if (version !== undefined && !Number.isSafeInteger(version))
      parseInput(versionSchema, version, 'version');
    const row =
      version === undefined
        ? await this.#store.secrets.getCurrent(scope.tenantId, key)
        : await this.#store.secrets.getVersion(
            scope.tenantId,
            key,
            parseInput(versionSchema, version, 'version'),
          );
    if (!row)
      throw new NotFoundError(`secret ${key}${version === undefined ? '' : ` version ${version}`} not found`);
    const opened = this.#open(scope, key, row);
    const bytes = opened instanceof Promise ? await opened : opened;
    this.#emit('accessed', scope, key, row.version);
    return bytes;
  }

  /** Current values of several keys; missing keys are absent from the map. One `accessed` event per value. */
  async getMany(scope: SecretScope, keys: readonly string[]): Promise<Map<string, string>> {
    parseInput(z.array(secretKeySchema).max(1000), keys, 'secret keys');
    this.#scopeOnly(scope);
    const rows = await this.#store.secrets.getManyCurrent(scope.tenantId, keys);
    const out = new Map<string, string>();
    for (const row of rows) {
      const bytes = await this.#open(scope, row.key, row);
      out.set(row.key, bytes.toString('utf8'));
      bytes.fill(0);
      this.#emit('accessed', scope, row.key, row.version);
    }
    return out;
  }

  /** True when the secret exists in the scope's tenant. Reads metadata only; emits no event. */
  async has(scope: SecretScope, key: string): Promise<boolean> {
    this.#scope(scope, key);
    return (await this.#store.secrets.head(scope.tenantId, key)) !== null;
  }

  /** Metadata of the tenant's secrets, ordered by key; never values. */
  async list(
    scope: SecretScope,
    page: { prefix?: string; afterKey?: string; limit?: number } = {},
  ): Promise<SecretMetadata[]> {
    this.#scopeOnly(scope);
    const p = parseInput(listSchema, page, 'list page');
    const heads = await this.#store.secrets.list(scope.tenantId, p);
    return heads.map(({ tenantId: _t, ...meta }) => meta);
  }

  /** Stored versions of a secret, without values. {@link NotFoundError} when it does not exist. */
  async versions(scope: SecretScope, key: string): Promise<SecretVersionInfo[]> {
    this.#scope(scope, key);
    const [head, versions] = await Promise.all([
      this.#store.secrets.head(scope.tenantId, key),
      this.#store.secrets.versions(scope.tenantId, key),
    ]);
    if (!head) throw new NotFoundError(`secret ${key} not found`);
    return versions.map((v) => ({
      version: v.version,
      current: v.version === head.currentVersion,
      keyVersion: v.keyVersion,
      createdAt: v.createdAt,
      createdBy: v.createdBy,
    }));
  }

  /**
   * Deletes the secret and every version. Returns false when there was none. With `cas`, throws
   * {@link ConflictError} unless the current version is `cas`.
   */
  async delete(scope: SecretScope, key: string, options: WriteOptions = {}): Promise<boolean> {
    this.#scope(scope, key);
    const o = parseInput(writeOptionsSchema, options, 'delete options');
    const secrets = o.tx?.secrets ?? this.#store.secrets;
    const head = await secrets.head(scope.tenantId, key);
    if (!head) {
      if (o.cas !== undefined && o.cas !== 0) throw new ConflictError(`secret ${key} does not exist`);
      return false;
    }
    let expected = o.cas ?? head.currentVersion;
    while (!(await secrets.delete(scope.tenantId, key, expected))) {
      if (o.cas !== undefined) throw new ConflictError(`secret ${key} is not at version ${o.cas}`);
      // A write landed between our read and the delete: delete what is there now (and report that version).
      const now = await secrets.head(scope.tenantId, key);
      if (!now) return false;
      expected = now.currentVersion;
    }
    this.#emit('deleted', scope, key, expected);
    return true;
  }

  /**
   * Re-encrypts every stored version (all tenants) under the keyring's primary version, in batches. Safe to
   * kill at any point and to rerun: every row holds either its old or its new ciphertext, both decryptable.
   */
  rewrapAll(options: RewrapOptions = {}): Promise<RewrapResult> {
    return rewrapSecrets(this.#store.secrets, this.#keyring, options);
  }

  /** How many stored versions each keyring version protects, and the primary. */
  async keyUsage(): Promise<{
    primaryVersion: number;
    byKeyVersion: { keyVersion: number; count: number }[];
  }> {
    await this.#keyring.refresh();
    return {
      primaryVersion: this.#keyring.primaryVersion,
      byKeyVersion: await this.#store.secrets.countByKeyVersion(),
    };
  }
}
