import { randomBytes } from 'node:crypto';
import {
  type Actor,
  type Clock,
  ConflictError,
  EventBus,
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
import { z } from 'zod';
import { secretAad } from './aad.js';
import type { SecretEvent, SecretEventBus, SecretEvents, SecretEventType, SecretTx } from './events.js';
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
  /** Where a throwing `afterCommit` listener's error goes (default: a process warning). */
  onListenerError?: (err: unknown, event: SecretEvent) => void;
}

/** The last argument of every method: run on the ports of the caller's transaction. */
export interface SecretCallOptions {
  /** The caller's transaction: the operation (and its in-transaction events) commits or rolls back with it. */
  tx?: SecretTx;
}

/** Input of {@link SecretsManager.set}. */
export interface SetSecretInput {
  key: string;
  value: string | Uint8Array;
  /** Check-and-set: succeed only if the current version is this (0: the secret must not exist). */
  cas?: number;
}

/** Input of {@link SecretsManager.rotate}: a new value, or a fresh random one of `randomBytes` bytes. */
export interface RotateSecretInput {
  key: string;
  value?: string | Uint8Array;
  /** Random bytes of a generated value (base64url), 16 to 1024, default 32. */
  randomBytes?: number;
  cas?: number;
}

/** Input of {@link SecretsManager.get} and {@link SecretsManager.getBytes}. */
export interface GetSecretInput {
  key: string;
  /** A stored version; the current one when absent. */
  version?: number;
}

/** Input of {@link SecretsManager.delete}. */
export interface DeleteSecretInput {
  key: string;
  cas?: number;
}

/** A page of {@link SecretsManager.list}. */
export interface ListSecretsInput {
  prefix?: string;
  afterKey?: string;
  limit?: number;
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
const listSchema = z
  .object({
    prefix: z.string().max(200).optional(),
    afterKey: z.string().max(200).optional(),
    limit: z.number().int().min(1).max(1000).default(100),
  })
  .strict();
// A `tx` must carry a secrets port: anything else would silently write outside the caller's transaction.
const txSchema = z.custom<SecretTx>(
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { secrets?: { write?: unknown } }).secrets?.write === 'function',
  'expected the ports of a store transaction (with `secrets`)',
);
const callOptionsSchema = z.object({ tx: txSchema.optional() }).strict();
const setSchema = z.object({ key: secretKeySchema, value: valueSchema, cas: casSchema }).strict();
const rotateSchema = z
  .object({
    key: secretKeySchema,
    value: valueSchema.optional(),
    randomBytes: z.number().int().min(16).max(1024).default(32),
    cas: casSchema,
  })
  .strict();
const keyInputSchema = z.object({ key: secretKeySchema }).strict();
const getSchema = z.object({ key: secretKeySchema, version: versionSchema.optional() }).strict();
const deleteSchema = z.object({ key: secretKeySchema, cas: casSchema }).strict();
const getManySchema = z.object({ keys: z.array(secretKeySchema).max(1000) }).strict();

const MAX_WRITE_ATTEMPTS = 8;

function actorString(actor: Actor): string {
  return `${actor.type}:${actor.id}`;
}

/**
 * Per-tenant secrets on a {@link SecretStore}: values encrypted by the keyring with AAD binding tenant, key
 * and version, KV-v2-like versions, check-and-set, metadata-only listing, and events on core's EventBus.
 * Every method has the shape `(ctx, input, { tx }?)`.
 */
export class SecretsManager {
  /** created / updated / deleted (in the change's transaction) and accessed events; never carry a value. */
  readonly events: SecretEventBus;
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
    const onListenerError = o.onListenerError as SecretsManagerOptions['onListenerError'];
    this.events = new EventBus<SecretEvents, SecretTx>(
      onListenerError ? { onError: (err, _name, event) => onListenerError(err, event) } : {},
    );
  }

  #scopeOnly(scope: SecretScope): void {
    if (!looksLikeScope(scope)) parseInput(scopeSchema, scope, 'secret scope');
  }

  // The hot path checks the key without zod; zod runs only to produce the ValidationError.
  #input<T extends { key: string }>(scope: SecretScope, input: T, schema: z.ZodType, what: string): T {
    this.#scopeOnly(scope);
    if (
      typeof input !== 'object' ||
      input === null ||
      typeof input.key !== 'string' ||
      !SECRET_KEY_PATTERN.test(input.key)
    )
      return parseInput(schema, input, what) as T;
    return input;
  }

  #tx(options: SecretCallOptions | undefined): SecretTx | undefined {
    if (options === undefined) return undefined;
    return parseInput(callOptionsSchema, options, 'options').tx;
  }

  #event(type: SecretEventType, scope: SecretScope, key: string, version: number): SecretEvent {
    const event: SecretEvent = {
      type,
      tenantId: scope.tenantId,
      key,
      version,
      actor: scope.actor,
      at: this.#clock.now(),
    };
    if (scope.requestId !== undefined) event.requestId = scope.requestId;
    return event;
  }

  /**
   * Runs one conditional change on the secrets port and, when it applied, emits its event, both in one
   * transaction: the caller's `tx`, else a new one when there are in-transaction listeners. Without them the
   * change runs as it is (the port's own operations are atomic) and after-commit listeners are told after.
   */
  async #commitChange(
    callerTx: SecretTx | undefined,
    change: (secrets: SecretStore) => Promise<boolean>,
    event: () => SecretEvent,
  ): Promise<boolean> {
    const e = () => {
      const built = event();
      return { type: built.type, built };
    };
    const run = async (tx: SecretTx): Promise<boolean> => {
      const applied = await change(tx.secrets);
      if (applied) {
        const { type, built } = e();
        if (this.events.has(type)) await this.events.emit(type, built, tx);
      }
      return applied;
    };
    if (callerTx) return run(callerTx);
    const { type } = e();
    if (this.events.hasInTransaction(type)) return this.#store.transaction(run);
    const applied = await change(this.#store.secrets);
    if (applied && this.events.has(type)) this.events.notify(type, event());
    return applied;
  }

  /**
   * Reads rows and opens them: in a transaction with the `accessed` events when there are in-transaction
   * listeners (the caller's `tx`, else a new one), so an audit append commits with the read or the read fails;
   * else a plain read, after-commit listeners told after it.
   */
  async #read<T>(
    scope: SecretScope,
    callerTx: SecretTx | undefined,
    read: (secrets: SecretStore) => Promise<{ result: T; accessed: { key: string; version: number }[] }>,
  ): Promise<T> {
    if (callerTx || this.events.hasInTransaction('accessed')) {
      const run = async (tx: SecretTx): Promise<T> => {
        const { result, accessed } = await read(tx.secrets);
        if (this.events.has('accessed')) {
          for (const a of accessed)
            await this.events.emit('accessed', this.#event('accessed', scope, a.key, a.version), tx);
        }
        return result;
      };
      return callerTx ? run(callerTx) : this.#store.transaction(run);
    }
    const { result, accessed } = await read(this.#store.secrets);
    if (this.events.has('accessed')) {
      for (const a of accessed)
        this.events.notify('accessed', this.#event('accessed', scope, a.key, a.version));
    }
    return result;
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
    opts: { cas?: number; tx?: SecretTx },
    mustExist: boolean,
  ): Promise<{ version: number; created: boolean }> {
    const secrets: SecretStore = opts.tx?.secrets ?? this.#store.secrets;
    const pending: { type: SecretEventType; version: number } = { type: 'created', version: 0 };
    const changeEvent = () => this.#event(pending.type, scope, key, pending.version);
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
      pending.type = current === 0 ? 'created' : 'updated';
      pending.version = version;
      const write = {
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
      };
      const ok = await this.#commitChange(opts.tx, (store) => store.write(write), changeEvent);
      if (ok) return { version, created: current === 0 };
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
   * Stores `value` as the next version of `key` in the context's tenant (creating the secret at version 1).
   * With `cas`, fails with {@link ConflictError} unless the current version is `cas`.
   */
  async set(
    ctx: SecretScope,
    input: SetSecretInput,
    options?: SecretCallOptions,
  ): Promise<{ version: number; created: boolean }> {
    this.#scopeOnly(ctx);
    const i = parseInput(setSchema, input, 'secret');
    return this.#write(ctx, i.key, input.value, { cas: i.cas, tx: this.#tx(options) }, false);
  }

  /**
   * Replaces an existing secret's value with `value`, or with a fresh random value (`randomBytes` bytes,
   * base64url) when none is given. Throws {@link NotFoundError} when the secret does not exist.
   */
  async rotate(
    ctx: SecretScope,
    input: RotateSecretInput,
    options?: SecretCallOptions,
  ): Promise<{ version: number }> {
    this.#scopeOnly(ctx);
    const i = parseInput(rotateSchema, input, 'rotate input');
    const value = input.value ?? randomBytes(i.randomBytes).toString('base64url');
    const { version } = await this.#write(ctx, i.key, value, { cas: i.cas, tx: this.#tx(options) }, true);
    return { version };
  }

  /** The value (UTF-8) of the current version, or of `version`. {@link NotFoundError} when absent. */
  async get(ctx: SecretScope, input: GetSecretInput, options?: SecretCallOptions): Promise<string> {
    const bytes = await this.getBytes(ctx, input, options);
    const text = bytes.toString('utf8');
    bytes.fill(0);
    return text;
  }

  /** Like {@link get}, as bytes. The caller should zero the buffer when done. */
  async getBytes(ctx: SecretScope, input: GetSecretInput, options?: SecretCallOptions): Promise<Buffer> {
    return (await this.readBytes(ctx, input, options)).value;
  }

  /**
   * The value with the version it was read from (as Vault KV v2's read returns data with its metadata), in
   * the same single read: no second query to learn which version is current.
   */
  async read(
    ctx: SecretScope,
    input: GetSecretInput,
    options?: SecretCallOptions,
  ): Promise<{ value: string; version: number }> {
    const { value, version } = await this.readBytes(ctx, input, options);
    const text = value.toString('utf8');
    value.fill(0);
    return { value: text, version };
  }

  /** Like {@link read}, the value as bytes. The caller should zero the buffer when done. */
  async readBytes(
    ctx: SecretScope,
    input: GetSecretInput,
    options?: SecretCallOptions,
  ): Promise<{ value: Buffer; version: number }> {
    const { key } = this.#input(ctx, input, getSchema, 'secret');
    const version = input.version;
    if (version !== undefined && !(Number.isSafeInteger(version) && version >= 1))
      parseInput(versionSchema, version, 'version');
    return this.#read(ctx, this.#tx(options), async (secrets) => {
      const row =
        version === undefined
          ? await secrets.getCurrent(ctx.tenantId, key)
          : await secrets.getVersion(ctx.tenantId, key, version);
      if (!row)
        throw new NotFoundError(
          `secret ${key}${version === undefined ? '' : ` version ${version}`} not found`,
        );
      const opened = this.#open(ctx, key, row);
      const bytes = opened instanceof Promise ? await opened : opened;
      return { result: { value: bytes, version: row.version }, accessed: [{ key, version: row.version }] };
    });
  }

  /** Current values of several keys; missing keys are absent from the map. One `accessed` event per value. */
  async getMany(
    ctx: SecretScope,
    input: { keys: readonly string[] },
    options?: SecretCallOptions,
  ): Promise<Map<string, string>> {
    const { keys } = parseInput(getManySchema, input, 'secret keys');
    this.#scopeOnly(ctx);
    return this.#read(ctx, this.#tx(options), async (secrets) => {
      const rows = await secrets.getManyCurrent(ctx.tenantId, keys);
      const out = new Map<string, string>();
      for (const row of rows) {
        const bytes = await this.#open(ctx, row.key, row);
        out.set(row.key, bytes.toString('utf8'));
        bytes.fill(0);
      }
      return { result: out, accessed: rows.map((r) => ({ key: r.key, version: r.version })) };
    });
  }

  /** True when the secret exists in the context's tenant. Reads metadata only; emits no event. */
  async has(ctx: SecretScope, input: { key: string }, options?: SecretCallOptions): Promise<boolean> {
    const { key } = this.#input(ctx, input, keyInputSchema, 'secret');
    const secrets = this.#tx(options)?.secrets ?? this.#store.secrets;
    return (await secrets.head(ctx.tenantId, key)) !== null;
  }

  /** Metadata of the tenant's secrets, ordered by key; never values. */
  async list(
    ctx: SecretScope,
    input: ListSecretsInput = {},
    options?: SecretCallOptions,
  ): Promise<SecretMetadata[]> {
    this.#scopeOnly(ctx);
    const p = parseInput(listSchema, input, 'list page');
    const secrets = this.#tx(options)?.secrets ?? this.#store.secrets;
    const heads = await secrets.list(ctx.tenantId, p);
    return heads.map(({ tenantId: _t, ...meta }) => meta);
  }

  /** Stored versions of a secret, without values. {@link NotFoundError} when it does not exist. */
  async versions(
    ctx: SecretScope,
    input: { key: string },
    options?: SecretCallOptions,
  ): Promise<SecretVersionInfo[]> {
    const { key } = this.#input(ctx, input, keyInputSchema, 'secret');
    const secrets = this.#tx(options)?.secrets ?? this.#store.secrets;
    const [head, versions] = await Promise.all([
      secrets.head(ctx.tenantId, key),
      secrets.versions(ctx.tenantId, key),
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
  async delete(ctx: SecretScope, input: DeleteSecretInput, options?: SecretCallOptions): Promise<boolean> {
    this.#scopeOnly(ctx);
    const { key, cas } = parseInput(deleteSchema, input, 'delete input');
    const tx = this.#tx(options);
    const secrets = tx?.secrets ?? this.#store.secrets;
    const head = await secrets.head(ctx.tenantId, key);
    if (!head) {
      if (cas !== undefined && cas !== 0) throw new ConflictError(`secret ${key} does not exist`);
      return false;
    }
    let expected = cas ?? head.currentVersion;
    const deleteExpected = (store: SecretStore) => store.delete(ctx.tenantId, key, expected);
    const deletedEvent = () => this.#event('deleted', ctx, key, expected);
    while (!(await this.#commitChange(tx, deleteExpected, deletedEvent))) {
      if (cas !== undefined) throw new ConflictError(`secret ${key} is not at version ${cas}`);
      // A write landed between our read and the delete: delete what is there now (and report that version).
      const now = await secrets.head(ctx.tenantId, key);
      if (!now) return false;
      expected = now.currentVersion;
    }
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
