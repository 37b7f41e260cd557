import { Duplex } from 'node:stream';
import { inspect } from 'node:util';
import {
  type Clock,
  CryptoError,
  type KeyringRecord,
  type KeyringStore,
  type MacSigner,
  parseInput,
  systemClock,
} from '@ax/core';
import { z } from 'zod';
import { open, seal } from './aead.js';
import { decodePayload, envelopePrefix, parseEnvelopeHeader } from './envelope.js';
import { deriveStreamKey } from './derive.js';
import { EncryptionBudget } from './encryption-budget.js';
import {
  aadSchema,
  decryptInput,
  encryptInput,
  type KeyringOptions,
  type KeyringStatus,
  optionsSchema,
  purposeSchema,
  type StreamOptions,
  streamOptionsSchema,
  versionSchema,
} from './keyring-options.js';
import { AeadKeys, loadOrCreate } from './keyring-state.js';
import { KeyringMacSigner } from './mac-signer.js';
import { type MasterKey, resolveMasterKey } from './master-key.js';
import { decryptFrames, encryptFrames, type StreamKeys } from './stream.js';

function replacedError(name: string): CryptoError {
  return new CryptoError(
    `keyring ${name} in the store is not the one this process opened (recreated, or restored from another installation): reopen it`,
    { details: { reason: 'replaced' } },
  );
}

function versionError(message: string, reason: string, version: number): CryptoError {
  return new CryptoError(message, { details: { reason, keyVersion: version } });
}

/**
 * A versioned keyring: AES-256-GCM with per-version keys derived from the master key, self-describing
 * ciphertexts (`ax:v1:k<version>:<base64url(nonce|ciphertext|tag)>`), rotation, minimum versions, and
 * per-version encryption budgets persisted in reserved blocks.
 *
 * `encrypt`/`decrypt` are synchronous and do no I/O; `open`, `refresh`, `rotate` and the policy setters
 * talk to the store.
 */
export class Keyring {
  readonly name: string;
  readonly #store: KeyringStore;
  readonly #clock: Clock;
  readonly #keys: AeadKeys;
  readonly #ikm: Buffer;
  readonly #budget: EncryptionBudget;
  readonly #insecure: boolean;
  #record: KeyringRecord;
  #prefix = '';
  #primary = 0;
  #latest = 0;
  #minDecrypt = 0;
  // The salt and verifier the keys were derived with; a stored keyring with others is a different keyring.
  readonly #salt: Buffer;
  readonly #verifier: Buffer;
  #replaced = false;
  readonly #signers = new Map<string, KeyringMacSigner>();

  private constructor(
    record: KeyringRecord,
    ikm: Buffer,
    master: MasterKey,
    opts: z.output<typeof optionsSchema>,
  ) {
    this.name = opts.name;
    this.#store = opts.store;
    this.#clock = opts.clock ?? systemClock;
    this.#ikm = ikm;
    this.#keys = new AeadKeys(ikm, record.hkdfSalt, opts.name);
    this.#budget = new EncryptionBudget(
      opts.store,
      opts.name,
      opts.reserveBlockSize,
      opts.maxEncryptionsPerVersion,
    );
    this.#insecure = master.insecureDefault;
    this.#salt = Buffer.from(record.hkdfSalt);
    this.#verifier = Buffer.from(record.verifier);
    this.#record = record;
    this.#apply(record);
  }

  /**
   * Opens the keyring `name` in `store`, creating it (random HKDF salt, version 1) when absent. Throws
   * {@link CryptoError} when the master key is refused (see {@link resolveMasterKey}) or is not the one the
   * keyring was created with.
   */
  static async open(options: KeyringOptions): Promise<Keyring> {
    const opts = parseInput(optionsSchema, options, 'keyring options');
    const master = resolveMasterKey({
      masterKey: opts.masterKey,
      env: opts.env,
      onWarning: opts.onWarning as ((m: string) => void) | undefined,
    });
    const { record, ikm } = await loadOrCreate(
      opts.store,
      opts.name,
      master,
      opts.clock ?? systemClock,
      opts.scrypt,
    );
    const keyring = new Keyring(record, ikm, master, opts);
    // an exhausted primary still opens; encrypt says why
    if (opts.reserveOnOpen) await keyring.reserve().catch(() => undefined);
    if (opts.autoRefreshMs !== undefined) {
      const warn =
        (opts.onWarning as ((m: string) => void) | undefined) ?? ((m: string) => process.emitWarning(m));
      keyring.#timer = setInterval(() => {
        keyring
          .refresh()
          .then(() => (opts.reserveOnOpen ? keyring.reserve() : undefined))
          .catch((err: unknown) =>
            warn(`keyring refresh failed: ${err instanceof Error ? err.message : String(err)}`),
          );
      }, opts.autoRefreshMs);
      keyring.#timer.unref();
    }
    return keyring;
  }

  #timer: NodeJS.Timeout | null = null;

  /** Stops the auto-refresh timer, if any. The keyring stays usable (it just stops refreshing itself). */
  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  #apply(record: KeyringRecord): void {
    if (
      this.#replaced ||
      !this.#salt.equals(Buffer.from(record.hkdfSalt)) ||
      !this.#verifier.equals(Buffer.from(record.verifier))
    ) {
      // Encrypting on with keys from the old salt would write data no process opening the store can read.
      this.#replaced = true;
      throw replacedError(this.name);
    }
    this.#record = record;
    this.#primary = record.primaryVersion;
    this.#minDecrypt = record.minDecryptionVersion;
    this.#latest = record.versions.reduce((m, v) => Math.max(m, v.version), 0);
    this.#prefix = envelopePrefix(record.primaryVersion);
    this.#keys.get(record.primaryVersion);
  }

  /** The version new ciphertexts use. */
  get primaryVersion(): number {
    return this.#primary;
  }

  /** The newest version that exists. */
  get latestVersion(): number {
    return this.#latest;
  }

  /** Ciphertexts below this version are refused. */
  get minDecryptionVersion(): number {
    return this.#minDecrypt;
  }

  /** The primary may not be set below this version. */
  get minEncryptionVersion(): number {
    return this.#record.minEncryptionVersion;
  }

  /**
   * Waits until at least one encryption is reserved for the primary version. Throws the store's error, or a
   * {@link CryptoError} when the primary has reached its encryption limit.
   */
  async reserve(): Promise<void> {
    // The primary may change (refresh, rotate) while we wait; loop until the current one has a block.
    for (;;) {
      if (this.#replaced) throw replacedError(this.name);
      const version = this.#primary;
      await this.#budget.ensure(version);
      if (version === this.#primary) return;
    }
  }

  /**
   * Encrypts `plaintext` under the primary version, bound to `aad` (use {@link aadOf} or {@link fieldAad}).
   * Synchronous; throws {@link CryptoError} when the version's budget is exhausted or a reservation is
   * still on its way (then use {@link encryptAsync}).
   */
  encrypt(plaintext: Uint8Array | string, aad: Uint8Array): string {
    if (
      !(aad instanceof Uint8Array) ||
      (typeof plaintext !== 'string' && !(plaintext instanceof Uint8Array))
    ) {
      parseInput(encryptInput, { plaintext, aad }, 'encrypt input');
    }
    if (this.#replaced) throw replacedError(this.name);
    this.#budget.take(this.#primary);
    const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
    return this.#prefix + seal(this.#keys.get(this.#primary), data, aad).toString('base64url');
  }

  /** {@link encrypt}, first waiting for a reservation when the local block is used up. */
  async encryptAsync(plaintext: Uint8Array | string, aad: Uint8Array): Promise<string> {
    await this.reserve();
    return this.encrypt(plaintext, aad);
  }

  /** The key version a ciphertext was made with. Throws {@link CryptoError} for an unknown format. */
  versionOf(ciphertext: string): number {
    if (typeof ciphertext !== 'string') parseInput(z.string(), ciphertext, 'ciphertext');
    return parseEnvelopeHeader(ciphertext).version;
  }

  /**
   * Decrypts and authenticates. Throws {@link CryptoError} for an unknown format, a version newer than
   * this keyring knows or below the minimum decryption version, a wrong tag, or wrong associated data;
   * it never returns wrong plaintext.
   */
  decrypt(ciphertext: string, aad: Uint8Array): Buffer {
    if (typeof ciphertext !== 'string' || !(aad instanceof Uint8Array)) {
      parseInput(decryptInput, { ciphertext, aad }, 'decrypt input');
    }
    const { version, payloadAt } = parseEnvelopeHeader(ciphertext);
    if (version > this.#latest || version < this.#minDecrypt) this.#checkDecryptable(version);
    return open(this.#keys.get(version), decodePayload(ciphertext, payloadAt), aad);
  }

  #checkDecryptable(version: number): void {
    if (version > this.#latest) {
      throw versionError(
        `key version ${version} is newer than this keyring knows (refresh it)`,
        'too-new',
        version,
      );
    }
    if (version < this.#minDecrypt) {
      throw versionError(
        `key version ${version} is below the minimum decryption version ${this.#minDecrypt}`,
        'below-min',
        version,
      );
    }
  }

  /** {@link decrypt} as UTF-8 text. */
  decryptString(ciphertext: string, aad: Uint8Array): string {
    const bytes = this.decrypt(ciphertext, aad);
    const text = bytes.toString('utf8');
    bytes.fill(0);
    return text;
  }

  /** {@link decrypt}, refreshing once from the store when the ciphertext's version is newer than known. */
  async decryptAsync(ciphertext: string, aad: Uint8Array): Promise<Buffer> {
    if (this.versionOf(ciphertext) > this.#latest) await this.refresh();
    return this.decrypt(ciphertext, aad);
  }

  /**
   * Re-encrypts `ciphertext` under the primary version, never handing the plaintext to the caller. Returns
   * the input unchanged when it already uses the primary. Same errors as {@link decrypt}.
   */
  async rewrap(ciphertext: string, aad: Uint8Array): Promise<string> {
    const plaintext = await this.decryptAsync(ciphertext, aad);
    try {
      if (this.versionOf(ciphertext) === this.#primary) return ciphertext;
      return await this.encryptAsync(plaintext, aad);
    } finally {
      plaintext.fill(0);
    }
  }

  /** Reloads versions and pointers written by other processes. */
  async refresh(): Promise<void> {
    const record = await this.#store.load(this.name);
    if (!record) throw new CryptoError(`keyring ${this.name} no longer exists in its store`);
    this.#apply(record);
  }

  /** Adds a new version and makes it primary; returns its number. Safe against concurrent rotations. */
  async rotate(): Promise<number> {
    for (let attempt = 0; attempt < 5; attempt++) {
      await this.refresh();
      const version = this.#latest + 1;
      const now = this.#clock.now();
      if (
        await this.#store.addVersion(
          this.name,
          { version, status: 'active', createdAt: now, reservedEncryptions: 0 },
          now,
        )
      ) {
        await this.refresh();
        await this.reserve().catch(() => undefined);
        return version;
      }
    }
    throw new CryptoError('could not rotate: other processes kept rotating at the same time');
  }

  async #setPolicy(change: { primary?: number; minDecrypt?: number; minEncrypt?: number }): Promise<void> {
    await this.refresh();
    const primary = change.primary ?? this.#primary;
    const minDecrypt = change.minDecrypt ?? this.#minDecrypt;
    const minEncrypt = change.minEncrypt ?? Math.max(this.#record.minEncryptionVersion, minDecrypt);
    if (!(minDecrypt <= minEncrypt && minEncrypt <= primary && primary <= this.#latest)) {
      throw new CryptoError(
        `invalid key versions: need minDecryption (${minDecrypt}) <= minEncryption (${minEncrypt}) <= primary (${primary}) <= latest (${this.#latest})`,
        { details: { reason: 'policy' } },
      );
    }
    await this.#store.setPolicy(this.name, {
      primaryVersion: primary,
      minDecryptionVersion: minDecrypt,
      minEncryptionVersion: minEncrypt,
      archiveBelow: minDecrypt,
      updatedAt: this.#clock.now(),
    });
    await this.refresh();
    await this.reserve().catch(() => undefined);
  }

  /**
   * Sets the minimum decryption version. Versions below it are archived (kept, never destroyed), so
   * lowering it again restores them. Must not exceed the minimum encryption version, which is raised
   * along with it when needed.
   */
  setMinDecryptionVersion(version: number): Promise<void> {
    const v = parseInput(versionSchema, version, 'min decryption version');
    // The minimum encryption version follows when it would fall below (computed on fresh state).
    return this.#setPolicy({ minDecrypt: v });
  }

  /** Sets the lowest version the primary may be set to. */
  setMinEncryptionVersion(version: number): Promise<void> {
    return this.#setPolicy({
      minEncrypt: parseInput(versionSchema, version, 'min encryption version'),
    });
  }

  /** Makes an existing version (at or above the minimum encryption version) the primary, e.g. to roll back. */
  setPrimaryVersion(version: number): Promise<void> {
    return this.#setPolicy({
      primary: parseInput(versionSchema, version, 'primary version'),
    });
  }

  #streamKeys(): StreamKeys {
    return {
      reserveForStream: async () => {
        await this.reserve();
        this.#budget.take(this.#primary);
        return this.#primary;
      },
      streamKey: (version, streamId) => {
        this.#checkDecryptable(version);
        return deriveStreamKey(this.#ikm, this.#record.hkdfSalt, this.name, version, streamId);
      },
    };
  }

  /**
   * Encrypts a large payload as framed chunks (see the stream format in the README): an async generator of
   * output buffers from an async iterable of input chunks. Memory stays at about two frames.
   */
  encryptIterable(
    source: AsyncIterable<Uint8Array | string>,
    aad: Uint8Array,
    options: StreamOptions = {},
  ): AsyncGenerator<Buffer> {
    parseInput(aadSchema, aad, 'stream aad');
    const { frameBytes } = parseInput(streamOptionsSchema, options, 'stream options');
    return encryptFrames(this.#streamKeys(), source, aad, frameBytes);
  }

  /**
   * Decrypts what {@link encryptIterable} or {@link encryptStream} produced. Fails with {@link CryptoError}
   * on a dropped, reordered, altered, truncated or appended frame; plaintext already yielded must be
   * discarded when iteration fails.
   */
  decryptIterable(source: AsyncIterable<Uint8Array | string>, aad: Uint8Array): AsyncGenerator<Buffer> {
    parseInput(aadSchema, aad, 'stream aad');
    return decryptFrames(this.#streamKeys(), source, aad);
  }

  /** {@link encryptIterable} as a Node.js Duplex stream, for `pipeline(input, encryptStream(aad), output)`. */
  encryptStream(aad: Uint8Array, options: StreamOptions = {}): Duplex {
    parseInput(aadSchema, aad, 'stream aad');
    const opts = parseInput(streamOptionsSchema, options, 'stream options');
    return Duplex.from((source: AsyncIterable<Uint8Array>) => this.encryptIterable(source, aad, opts));
  }

  /** {@link decryptIterable} as a Node.js Duplex stream. Errors the pipeline on any tampering. */
  decryptStream(aad: Uint8Array): Duplex {
    parseInput(aadSchema, aad, 'stream aad');
    return Duplex.from((source: AsyncIterable<Uint8Array>) => this.decryptIterable(source, aad));
  }

  /** A MAC signer for `purpose` (e.g. `audit.chain`): HMAC-SHA256 with a per-purpose, per-version key. */
  macSigner(purpose: string): MacSigner {
    const p = parseInput(purposeSchema, purpose, 'mac purpose');
    let signer = this.#signers.get(p);
    if (!signer) {
      const ikm = this.#ikm;
      const salt = this.#record.hkdfSalt;
      const self = this;
      signer = new KeyringMacSigner(
        {
          get primaryVersion() {
            return self.#primary;
          },
          get latestVersion() {
            return self.#latest;
          },
          name: this.name,
          derivationInput: () => ({ ikm, salt }),
        },
        p,
      );
      this.#signers.set(p, signer);
    }
    return signer;
  }

  /** Current state from the store, with encryption counts. Safe to print: no key material. */
  async status(): Promise<KeyringStatus> {
    await this.refresh();
    const r = this.#record;
    return {
      name: r.name,
      kdf: r.kdf.kind,
      primaryVersion: r.primaryVersion,
      minDecryptionVersion: r.minDecryptionVersion,
      minEncryptionVersion: r.minEncryptionVersion,
      insecureDevKey: this.#insecure,
      versions: r.versions.map((v) => ({
        version: v.version,
        status: v.status,
        primary: v.version === r.primaryVersion,
        createdAt: v.createdAt,
        encryptions: v.reservedEncryptions,
        limit: this.#budget.limit,
      })),
    };
  }

  toJSON(): {
    name: string;
    primaryVersion: number;
    latestVersion: number;
    minDecryptionVersion: number;
  } {
    return {
      name: this.name,
      primaryVersion: this.#primary,
      latestVersion: this.#latest,
      minDecryptionVersion: this.#minDecrypt,
    };
  }

  [inspect.custom](): string {
    return `Keyring ${JSON.stringify(this.toJSON())}`;
  }
}
