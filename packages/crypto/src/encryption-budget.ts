import { CryptoError, type EncryptionBlock, type KeyringStore } from '@ax/core';

function budgetError(message: string, reason: string, version: number): CryptoError {
  return new CryptoError(message, { details: { reason, keyVersion: version } });
}

/**
 * Counts encryptions per key version without a store write per call: blocks of `blockSize` are reserved
 * atomically in the store ahead of use, the next block is prefetched at half way, and an unused remainder is
 * simply abandoned (on rotation or crash), so the stored count can only over-count.
 */
export class EncryptionBudget {
  readonly #store: KeyringStore;
  readonly #name: string;
  readonly #blockSize: number;
  readonly limit: number;
  #version = 0;
  #next = 0;
  #end = 0;
  #spare: EncryptionBlock | null = null;
  #inflight: Promise<void> | null = null;
  // The last reservation failure and the version it was for.
  #error: { version: number; cause: unknown } | null = null;

  constructor(store: KeyringStore, name: string, blockSize: number, limit: number) {
    this.#store = store;
    this.#name = name;
    this.#blockSize = blockSize;
    this.limit = limit;
  }

  // Reserves one block for `version`; one reservation in flight at a time.
  #reserve(version: number): Promise<void> {
    if (this.#inflight) return this.#inflight;
    const run = this.#store
      .reserveEncryptions(this.#name, version, this.#blockSize, this.limit)
      .then((block) => {
        if (!block) {
          this.#error = {
            version,
            cause: budgetError(
              `key version ${version} reached its limit of ${this.limit} encryptions; rotate the keyring`,
              'exhausted',
              version,
            ),
          };
          return;
        }
        this.#error = null;
        if (this.#version !== version || this.#next >= this.#end) {
          this.#version = version;
          this.#next = block.from;
          this.#end = block.to;
          this.#spare = null;
        } else {
          this.#spare = block;
        }
      })
      .catch((err: unknown) => {
        this.#error = { version, cause: err };
        throw err;
      })
      .finally(() => {
        this.#inflight = null;
      });
    this.#inflight = run;
    return run;
  }

  #ready(version: number): boolean {
    if (this.#version !== version) return false;
    if (this.#next < this.#end) return true;
    if (!this.#spare) return false;
    this.#next = this.#spare.from;
    this.#end = this.#spare.to;
    this.#spare = null;
    return true;
  }

  /**
   * Takes one encryption of `version`, synchronously. Throws {@link CryptoError} when the version reached
   * its limit (`exhausted`) or no block has arrived yet (`reservation-pending`; await {@link ensure}).
   */
  take(version: number): void {
    if (!this.#ready(version)) {
      // Only an exhausted version is final; any other failure (a store hiccup) is retried here and by ensure().
      const failure = this.#error?.version === version ? this.#error.cause : null;
      if (failure instanceof CryptoError && failure.details.reason === 'exhausted') throw failure;
      void this.#reserve(version).catch(() => undefined);
      throw budgetError(
        'no encryptions reserved yet for the primary key version; use encryptAsync() or await reserve()',
        'reservation-pending',
        version,
      );
    }
    this.#next++;
    if (this.#spare === null && this.#inflight === null && this.#end - this.#next <= this.#blockSize >> 1) {
      void this.#reserve(version).catch(() => undefined);
    }
  }

  /** Resolves once an encryption of `version` can be taken; rejects with the store's or an `exhausted` error. */
  async ensure(version: number): Promise<void> {
    while (!this.#ready(version)) {
      await this.#reserve(version);
      if (this.#error?.version === version) throw this.#error.cause;
    }
  }
}
