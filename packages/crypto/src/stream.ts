import { createCipheriv, createDecipheriv, type KeyObject, randomBytes } from 'node:crypto';
import { CryptoError } from '@ax/core';
import { aadOf } from './aad.js';
import { NONCE_BYTES, TAG_BYTES } from './aead.js';

/**
 * Framed stream format, version 1 (modelled on the AWS Encryption SDK's framed body):
 *
 * header:  "AXS1" | u32 key version | 32-byte random stream id | u32 frame size
 * frame:   u8 flags (1 = final) | u32 plaintext length | ciphertext | 16-byte tag
 *
 * Each stream has its own key, HKDF-derived from the key version and the stream id, so a frame's nonce is
 * simply its sequence number. Each frame's AAD is the canonical encoding of the header bytes, the caller's
 * AAD, the sequence number and the final flag: a dropped, reordered, duplicated or altered frame fails its
 * tag; a stream cut before its final frame, or with bytes after it, fails too. Memory is bounded by one
 * frame whatever the payload size.
 */
export const STREAM_MAGIC = Buffer.from('AXS1', 'ascii');
/** Header length in bytes. */
export const STREAM_HEADER_BYTES = 4 + 4 + 32 + 4;
/** Default and bounds of the plaintext bytes per frame. */
export const DEFAULT_FRAME_BYTES = 64 * 1024;
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;
const FRAME_HEADER_BYTES = 5;
const FLAG_FINAL = 1;

/** What stream functions need from the keyring. */
export interface StreamKeys {
  /** Reserves one use of the primary version and returns it. */
  reserveForStream(): Promise<number>;
  /** The stream key for a version and stream id; throws CryptoError for unknown or refused versions. */
  streamKey(version: number, streamId: Uint8Array): KeyObject;
}

function nonceFor(seq: number): Buffer {
  const nonce = Buffer.alloc(NONCE_BYTES);
  nonce.writeBigUInt64BE(BigInt(seq), 4);
  return nonce;
}

function frameAad(header: Buffer, aad: Uint8Array, seq: number, final: boolean): Buffer {
  return aadOf('ax-stream/1', header, aad, seq, final ? 1 : 0);
}

function streamError(message: string, reason: string): CryptoError {
  return new CryptoError(message, { details: { reason } });
}

function sealFrame(
  key: KeyObject,
  header: Buffer,
  aad: Uint8Array,
  seq: number,
  plaintext: Buffer,
  final: boolean,
): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, nonceFor(seq), { authTagLength: TAG_BYTES });
  cipher.setAAD(frameAad(header, aad, seq, final));
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + plaintext.byteLength + TAG_BYTES);
  out.writeUInt8(final ? FLAG_FINAL : 0, 0);
  out.writeUInt32BE(plaintext.byteLength, 1);
  cipher.update(plaintext).copy(out, FRAME_HEADER_BYTES);
  cipher.final();
  cipher.getAuthTag().copy(out, FRAME_HEADER_BYTES + plaintext.byteLength);
  return out;
}

/** Encrypts an async iterable of byte chunks into the framed format; yields header then frames. */
export async function* encryptFrames(
  keys: StreamKeys,
  source: AsyncIterable<Uint8Array | string>,
  aad: Uint8Array,
  frameBytes: number,
): AsyncGenerator<Buffer> {
  const version = await keys.reserveForStream();
  const streamId = randomBytes(32);
  const header = Buffer.allocUnsafe(STREAM_HEADER_BYTES);
  STREAM_MAGIC.copy(header, 0);
  header.writeUInt32BE(version, 4);
  streamId.copy(header, 8);
  header.writeUInt32BE(frameBytes, 40);
  const key = keys.streamKey(version, streamId);
  yield header;

  let seq = 0;
  // One full frame is held back until we know whether more data follows (then it is not the final one).
  let held: Buffer | null = null;
  const frame = Buffer.allocUnsafe(frameBytes);
  let filled = 0;
  for await (const chunk of source) {
    let data =
      typeof chunk === 'string'
        ? Buffer.from(chunk)
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    while (data.byteLength > 0) {
      const n = Math.min(frameBytes - filled, data.byteLength);
      data.copy(frame, filled, 0, n);
      filled += n;
      data = data.subarray(n);
      if (filled === frameBytes) {
        if (held) yield sealFrame(key, header, aad, seq++, held, false);
        held = Buffer.from(frame);
        filled = 0;
      }
    }
  }
  if (held && filled === 0) {
    yield sealFrame(key, header, aad, seq++, held, true);
  } else {
    if (held) yield sealFrame(key, header, aad, seq++, held, false);
    yield sealFrame(key, header, aad, seq++, frame.subarray(0, filled), true);
  }
  frame.fill(0);
  held?.fill(0);
}

/** A FIFO of buffers read by exact byte counts, without concatenating more than one frame. */
class ByteQueue {
  #chunks: Buffer[] = [];
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(b: Buffer): void {
    if (b.byteLength === 0) return;
    this.#chunks.push(b);
    this.#length += b.byteLength;
  }

  peek(n: number): Buffer {
    return this.#collect(n, false);
  }

  take(n: number): Buffer {
    return this.#collect(n, true);
  }

  #collect(n: number, consume: boolean): Buffer {
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    let i = 0;
    let offset = 0;
    while (at < n) {
      const c = this.#chunks[i]!;
      const m = Math.min(n - at, c.byteLength - offset);
      c.copy(out, at, offset, offset + m);
      at += m;
      if (offset + m === c.byteLength) {
        i++;
        offset = 0;
      } else offset += m;
    }
    if (consume) {
      this.#chunks.splice(0, i);
      if (offset > 0) this.#chunks[0] = this.#chunks[0]!.subarray(offset);
      this.#length -= n;
    }
    return out;
  }
}

/**
 * Decrypts the framed format, yielding plaintext frame by frame. Throws {@link CryptoError} on any tampering,
 * truncation or trailing data. Plaintext of earlier frames is yielded before a later frame fails: act on the
 * output only once the iteration finished without error.
 */
export async function* decryptFrames(
  keys: StreamKeys,
  source: AsyncIterable<Uint8Array | string>,
  aad: Uint8Array,
): AsyncGenerator<Buffer> {
  const queue = new ByteQueue();
  let header: Buffer | null = null;
  let key: KeyObject | null = null;
  let frameBytes = 0;
  let seq = 0;
  let finished = false;
  const drain = function* (): Generator<Buffer> {
    for (;;) {
      if (!header) {
        if (queue.length < STREAM_HEADER_BYTES) return;
        header = queue.take(STREAM_HEADER_BYTES);
        if (!header.subarray(0, 4).equals(STREAM_MAGIC)) throw streamError('unknown stream format', 'format');
        frameBytes = header.readUInt32BE(40);
        if (frameBytes < 1 || frameBytes > MAX_FRAME_BYTES)
          throw streamError('unknown stream format', 'format');
        key = keys.streamKey(header.readUInt32BE(4), header.subarray(8, 40));
      }
      if (queue.length < FRAME_HEADER_BYTES) return;
      if (finished) throw streamError('data after the final frame of the stream', 'trailing');
      const fh = queue.peek(FRAME_HEADER_BYTES);
      const flags = fh.readUInt8(0);
      const length = fh.readUInt32BE(1);
      if ((flags & ~FLAG_FINAL) !== 0 || length > frameBytes)
        throw streamError('malformed stream frame', 'format');
      const final = flags === FLAG_FINAL;
      // Only the final frame may be short; a short non-final frame means a rewritten stream.
      if (!final && length !== frameBytes) throw streamError('malformed stream frame', 'format');
      if (queue.length < FRAME_HEADER_BYTES + length + TAG_BYTES) return;
      queue.take(FRAME_HEADER_BYTES);
      const body = queue.take(length);
      const tag = queue.take(TAG_BYTES);
      const decipher = createDecipheriv('aes-256-gcm', key!, nonceFor(seq), { authTagLength: TAG_BYTES });
      decipher.setAAD(frameAad(header, aad, seq, final));
      decipher.setAuthTag(tag);
      const plaintext = decipher.update(body);
      try {
        decipher.final();
      } catch {
        plaintext.fill(0);
        throw streamError(
          `stream frame ${seq} failed authentication (tampered, reordered, dropped, or wrong key or AAD)`,
          'tag',
        );
      }
      seq++;
      if (final) finished = true;
      yield plaintext;
    }
  };
  for await (const chunk of source) {
    queue.push(
      typeof chunk === 'string'
        ? Buffer.from(chunk, 'latin1')
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength),
    );
    yield* drain();
  }
  yield* drain();
  if (!finished) throw streamError('stream ended before its final frame (truncated)', 'truncated');
  if (queue.length > 0) throw streamError('data after the final frame of the stream', 'trailing');
}
