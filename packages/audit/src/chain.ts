import { createHash } from 'node:crypto';
import type { AuditAnchor, AuditCheckpoint, MacSigner } from '@ax/core';
import { type CanonicalFields, canonicalEvent } from './canonical.js';

/** The previous hash of seq 1: 32 zero bytes. */
export const GENESIS_HASH: Uint8Array = new Uint8Array(32);

/** `SHA-256(prevHash ‖ canonical)`: the chain step. */
export function chainHash(prevHash: Uint8Array, canonical: string): Buffer {
  return createHash('sha256').update(prevHash).update(canonical, 'utf8').digest();
}

/** Constant-length byte equality (hashes are public; this is for clarity, not secrecy). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  return (a instanceof Buffer ? a : Buffer.from(a.buffer, a.byteOffset, a.byteLength)).equals(b);
}

/** Lowercase hex of bytes. */
export function hex(b: Uint8Array): string {
  return (b instanceof Buffer ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength)).toString('hex');
}

/** Bytes of a hex string (empty when malformed, which never verifies). */
export function unhex(s: string): Buffer {
  return /^(?:[0-9a-f]{2})*$/.test(s) ? Buffer.from(s, 'hex') : Buffer.alloc(0);
}

/** What a checkpoint's MAC covers. */
export function checkpointPayload(cp: Omit<AuditCheckpoint, 'keyVersion' | 'mac'>): string {
  return `ax-audit-checkpoint:v1\n${cp.tenantId}\n${cp.seq}\n${hex(cp.headHash)}\n${cp.time}`;
}

/** What a retention anchor's MAC covers. */
export function anchorPayload(a: Omit<AuditAnchor, 'keyVersion' | 'mac'>): string {
  return `ax-audit-anchor:v1\n${a.tenantId}\n${a.seq}\n${hex(a.hash)}\n${a.prunedAt}`;
}

/** The ways a chain can be found broken. */
export type TamperKind = 'modified' | 'missing' | 'reordered' | 'inserted' | 'bad-signature' | 'truncated';

/** The first problem found. */
export interface ChainBreak {
  ok: false;
  /** The first bad seq. */
  seq: number;
  kind: TamperKind;
  /** Events verified before the break. */
  count: number;
  message: string;
}

/** A row as the verifier needs it: the hashed fields and the chain columns. */
export interface ChainRow extends CanonicalFields {
  prevHash: Uint8Array;
  hash: Uint8Array;
  keyVersion: number;
  mac: Uint8Array;
}

/** Where verification starts: the seq expected first and the hash it must link to. */
export interface ChainStart {
  seq: number;
  prevHash: Uint8Array;
  /** The chain's recorded head seq when known: unsigned rows past it are classed `inserted`. */
  headSeq?: number;
  /** Hash expected at a seq (from a checkpoint): a different hash there is reported. */
  expect?: { seq: number; hash: Uint8Array };
}

const MESSAGES: Record<TamperKind, string> = {
  modified: 'event content does not match its hash',
  missing: 'event is missing from the chain',
  reordered: 'a genuinely signed event sits at the wrong position',
  inserted: 'an event that was never signed was added to the chain',
  'bad-signature': 'event hash is consistent but its signature does not verify',
  truncated: 'the chain ends before a point it was known to reach',
};

/**
 * Streaming chain verifier. Rows are pushed in seq order; it keeps one row of look-ahead (to tell an
 * inserted row from a re-signed one) and stops at the first break. Classification, for a row at the
 * expected seq `e` whose predecessor hash should be `p`:
 * - seq above `e`: `missing` at `e`;
 * - links to `p` but content does not hash to its stored hash: `modified`;
 * - links and hashes, MAC fails: `inserted` when the next row links to the same predecessor or it lies past
 *   the recorded head, else `bad-signature`;
 * - does not link to `p`, but carries a valid MAC over a hash its content does not produce at this position:
 *   `reordered` (a genuine event moved here); otherwise `modified`.
 */
export class ChainVerifier {
  #seq: number;
  #prev: Uint8Array;
  #pending: ChainRow | null = null;
  #count = 0;
  readonly #signer: MacSigner;
  readonly #start: ChainStart;

  constructor(signer: MacSigner, start: ChainStart) {
    this.#signer = signer;
    this.#start = start;
    this.#seq = start.seq;
    this.#prev = start.prevHash;
  }

  /** Events verified so far. */
  get count(): number {
    return this.#count;
  }

  /** The seq the next row should have. */
  get nextSeq(): number {
    return this.#seq;
  }

  /** Hash of the last verified event (the start's prevHash before any). */
  get lastHash(): Uint8Array {
    return this.#prev;
  }

  /** Feeds the next row; returns the first break, if this row revealed one for the previous row. */
  push(row: ChainRow): ChainBreak | null {
    const prev = this.#pending;
    this.#pending = row;
    return prev ? this.#check(prev, row) : null;
  }

  /** Checks the last pending row; call once after the last push. */
  finish(): ChainBreak | null {
    const last = this.#pending;
    this.#pending = null;
    return last ? this.#check(last, null) : null;
  }

  /** Builds a break at `seq` (also used by callers for truncation and start problems). */
  fail(seq: number, kind: TamperKind, message = MESSAGES[kind]): ChainBreak {
    return { ok: false, seq, kind, count: this.#count, message };
  }

  #check(r: ChainRow, next: ChainRow | null): ChainBreak | null {
    if (r.seq !== this.#seq) {
      return r.seq > this.#seq ? this.fail(this.#seq, 'missing') : this.fail(r.seq, 'inserted');
    }
    const canonical = canonicalEvent(r);
    const computed = chainHash(r.prevHash, canonical);
    if (bytesEqual(r.prevHash, this.#prev)) {
      if (!bytesEqual(computed, r.hash)) return this.fail(r.seq, 'modified');
      if (!this.#signer.verify(r.hash, r.mac, r.keyVersion)) {
        const extra =
          (next !== null && bytesEqual(next.prevHash, r.prevHash)) ||
          (this.#start.headSeq !== undefined && r.seq > this.#start.headSeq);
        return this.fail(r.seq, extra ? 'inserted' : 'bad-signature');
      }
    } else {
      const genuine = this.#signer.verify(r.hash, r.mac, r.keyVersion);
      const onlyLinkEdited = bytesEqual(chainHash(this.#prev, canonical), r.hash);
      return this.fail(
        r.seq,
        genuine && !bytesEqual(computed, r.hash) && !onlyLinkEdited ? 'reordered' : 'modified',
      );
    }
    const expect = this.#start.expect;
    if (expect && expect.seq === r.seq && !bytesEqual(expect.hash, r.hash)) {
      return this.fail(
        r.seq,
        'truncated',
        'the chain diverges from a checkpoint: its tail was cut and regrown',
      );
    }
    this.#prev = r.hash;
    this.#seq++;
    this.#count++;
    return null;
  }
}
