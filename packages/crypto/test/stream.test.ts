import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CryptoError } from '@ax/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aadOf, type Keyring } from '../src/index.js';
import { memoryKeyring } from './helpers.js';

const aad = aadOf('backup', 'bkp_1');
const HEADER = 44;

async function collect(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of it) parts.push(p);
  return Buffer.concat(parts);
}

async function* chunks(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.byteLength; i += size) yield data.subarray(i, i + size);
  if (data.byteLength === 0) return;
}

async function encrypt(kr: Keyring, data: Buffer, frameBytes: number): Promise<Buffer> {
  return collect(kr.encryptIterable(chunks(data, 7), aad, { frameBytes }));
}

/** Splits an encrypted stream into header and frames (each frame: 5-byte header, body, 16-byte tag). */
function frames(enc: Buffer): { header: Buffer; frames: Buffer[] } {
  const out: Buffer[] = [];
  let at = HEADER;
  while (at < enc.byteLength) {
    const len = enc.readUInt32BE(at + 1);
    out.push(enc.subarray(at, at + 5 + len + 16));
    at += 5 + len + 16;
  }
  return { header: enc.subarray(0, HEADER), frames: out };
}

async function decryptError(kr: Keyring, enc: Buffer, a = aad): Promise<unknown> {
  try {
    await collect(kr.decryptIterable(chunks(enc, 13), a));
  } catch (err) {
    return err;
  }
  return null;
}

describe('stream AEAD', () => {
  it('round-trips payloads of any size and chunking (property)', async () => {
    const kr = await memoryKeyring();
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 700 }),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 50 }),
        async (data, frameBytes, readChunk) => {
          const enc = await collect(kr.encryptIterable(chunks(Buffer.from(data), 5), aad, { frameBytes }));
          const dec = await collect(kr.decryptIterable(chunks(enc, readChunk), aad));
          expect(dec.equals(Buffer.from(data))).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('marks exactly the last frame final, also when the payload fills whole frames or is empty', async () => {
    const kr = await memoryKeyring();
    for (const size of [0, 1, 16, 32, 33]) {
      const { frames: fs } = frames(await encrypt(kr, randomBytes(size), 16));
      expect(fs.map((f) => f[0])).toEqual([...Array(fs.length - 1).fill(0), 1]);
      expect(fs.length).toBe(Math.max(1, Math.ceil(size / 16)));
    }
  });

  it('detects dropped, reordered, duplicated, truncated and appended frames', async () => {
    const kr = await memoryKeyring();
    const data = randomBytes(100);
    const enc = await encrypt(kr, data, 16);
    const { header, frames: fs } = frames(enc);
    expect(fs).toHaveLength(7);
    const cases: Record<string, Buffer> = {
      'drop first': Buffer.concat([header, ...fs.slice(1)]),
      'drop middle': Buffer.concat([header, ...fs.slice(0, 3), ...fs.slice(4)]),
      'drop final': Buffer.concat([header, ...fs.slice(0, -1)]),
      'swap two': Buffer.concat([header, fs[1]!, fs[0]!, ...fs.slice(2)]),
      duplicate: Buffer.concat([header, fs[0]!, ...fs]),
      'append a frame after final': Buffer.concat([enc, fs[0]!]),
      'append a byte': Buffer.concat([enc, Buffer.from([0])]),
      'header only': header,
      empty: Buffer.alloc(0),
    };
    for (const [name, forged] of Object.entries(cases)) {
      expect(await decryptError(kr, forged), name).toBeInstanceOf(CryptoError);
    }
    for (let len = 0; len < enc.byteLength; len++) {
      expect(await decryptError(kr, enc.subarray(0, len)), `truncated to ${len}`).toBeInstanceOf(CryptoError);
    }
  });

  it('detects a flip of any bit, a frame spliced from another stream, and the wrong AAD', async () => {
    const kr = await memoryKeyring();
    const enc = await encrypt(kr, randomBytes(40), 16);
    for (let bit = 0; bit < enc.byteLength * 8; bit++) {
      const forged = Buffer.from(enc);
      forged[bit >> 3]! ^= 1 << (bit & 7);
      expect(await decryptError(kr, forged), `bit ${bit}`).toBeInstanceOf(CryptoError);
    }
    const other = frames(await encrypt(kr, randomBytes(40), 16));
    const mine = frames(enc);
    const spliced = Buffer.concat([mine.header, mine.frames[0]!, other.frames[1]!, mine.frames[2]!]);
    expect(await decryptError(kr, spliced)).toBeInstanceOf(CryptoError);
    expect(await decryptError(kr, enc, aadOf('backup', 'bkp_2'))).toBeInstanceOf(CryptoError);
  });

  it('refuses a header swapped in from another stream, and a truncation re-flagged as final', async () => {
    const kr = await memoryKeyring();
    const a = frames(await encrypt(kr, randomBytes(64), 16));
    const b = frames(await encrypt(kr, randomBytes(64), 16));
    expect(await decryptError(kr, Buffer.concat([b.header, ...a.frames]))).toBeInstanceOf(CryptoError);
    // Same stream id and key version, only the frame size changed (a single short final frame still parses
    // under it): the header is authenticated in every frame.
    const one = frames(await encrypt(kr, randomBytes(10), 16));
    const resized = Buffer.from(one.header);
    resized.writeUInt32BE(32, 40);
    expect(await decryptError(kr, Buffer.concat([resized, ...one.frames]))).toMatchObject({
      details: { reason: 'tag' },
    });
    // Cut the stream after frame k and mark frame k final: the flag is authenticated, so this fails.
    for (let k = 0; k < a.frames.length - 1; k++) {
      const last = Buffer.from(a.frames[k]!);
      last[0] = 1;
      const forged = Buffer.concat([a.header, ...a.frames.slice(0, k), last]);
      expect(await decryptError(kr, forged), `cut after frame ${k}`).toMatchObject({
        details: { reason: 'tag' },
      });
    }
  });

  it('pipes through Node streams with constant memory for a large payload', async () => {
    const kr = await memoryKeyring();
    const total = 64 * 1024 * 1024;
    const block = randomBytes(64 * 1024);
    let produced = 0;
    const source = new Readable({
      read() {
        if (produced >= total) return this.push(null);
        produced += block.byteLength;
        this.push(block);
      },
    });
    let seen = 0;
    let mismatch = false;
    let peakInFlight = 0;
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (let i = 0; i < chunk.byteLength; i += block.byteLength) {
          const piece = chunk.subarray(i, i + block.byteLength);
          const offset = (seen + i) % block.byteLength;
          if (!piece.equals(block.subarray(offset, offset + piece.byteLength))) mismatch = true;
        }
        seen += chunk.byteLength;
        peakInFlight = Math.max(peakInFlight, produced - seen);
        cb();
      },
    });
    await pipeline(source, kr.encryptStream(aad), kr.decryptStream(aad), sink);
    expect(seen).toBe(total);
    expect(mismatch).toBe(false);
    // 64 MiB went through while the bytes read but not yet delivered (everything the pipeline holds)
    // stayed a small multiple of the 64 KiB frame: memory does not grow with the payload.
    expect(peakInFlight).toBeLessThan(2 * 1024 * 1024);
  }, 60_000);

  it('errors the pipeline on tampering', async () => {
    const kr = await memoryKeyring();
    const enc = await encrypt(kr, randomBytes(100), 16);
    enc[enc.byteLength - 1]! ^= 1;
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    await expect(pipeline(Readable.from([enc]), kr.decryptStream(aad), sink)).rejects.toBeInstanceOf(
      CryptoError,
    );
  });

  it('honours the minimum decryption version for streams', async () => {
    const kr = await memoryKeyring();
    const enc = await encrypt(kr, randomBytes(10), 16);
    await kr.rotate();
    await kr.setMinDecryptionVersion(2);
    expect(await decryptError(kr, enc)).toMatchObject({ details: { reason: 'below-min' } });
  });
});
