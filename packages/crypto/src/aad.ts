import { parseInput } from '@ax/core';
import { z } from 'zod';

const partSchema = z.union([z.string(), z.number().int().nonnegative(), z.instanceof(Uint8Array)]);
const partsSchema = z.array(partSchema).min(1).max(64);

/** One component of associated data: text (UTF-8), a non-negative integer, or raw bytes. */
export type AadPart = string | number | Uint8Array;

const encoder = new TextEncoder();
const TAG_STRING = 0x73; // 's'
const TAG_NUMBER = 0x6e; // 'n'
const TAG_BYTES = 0x62; // 'b'

/**
 * Canonical associated data from ordered parts. Each part is encoded as a type byte, a 4-byte big-endian
 * length and its bytes, after a `ax-aad/1` domain label and the part count, so distinct part lists never
 * encode to the same bytes (`["a:b","c"]` and `["a","b:c"]` differ, as do `["1"]` and `[1]`).
 */
export function aadOf(...parts: AadPart[]): Buffer {
  // Cheap structural check first; zod only runs to produce the ValidationError with its path.
  if (!wellFormed(parts)) parseInput(partsSchema, parts, 'aad parts');
  const encoded = parts.map((p): [number, Uint8Array] => {
    if (typeof p === 'string') return [TAG_STRING, encoder.encode(p)];
    if (typeof p === 'number') return [TAG_NUMBER, encoder.encode(String(p))];
    return [TAG_BYTES, p];
  });
  const label = encoder.encode('ax-aad/1');
  let size = label.byteLength + 2;
  for (const [, b] of encoded) size += 5 + b.byteLength;
  const out = Buffer.allocUnsafe(size);
  out.set(label, 0);
  let at = out.writeUInt16BE(encoded.length, label.byteLength);
  for (const [tag, b] of encoded) {
    at = out.writeUInt8(tag, at);
    at = out.writeUInt32BE(b.byteLength, at);
    out.set(b, at);
    at += b.byteLength;
  }
  return out;
}

function wellFormed(parts: unknown[]): boolean {
  if (parts.length < 1 || parts.length > 64) return false;
  for (const p of parts) {
    if (typeof p === 'string' || p instanceof Uint8Array) continue;
    if (typeof p === 'number' && Number.isSafeInteger(p) && p >= 0) continue;
    return false;
  }
  return true;
}

/** Where a stored field lives; the usual AAD for a ciphertext kept in a database column. */
export interface FieldLocation {
  tenantId: string;
  table: string;
  recordId: string;
  field: string;
  /** Anything else the ciphertext must be bound to (a version number, a purpose). */
  extra?: AadPart[];
}

/** Canonical AAD binding a ciphertext to tenant, table, record and field (and `extra`, in order). */
export function fieldAad(loc: FieldLocation): Buffer {
  return aadOf('field', loc.tenantId, loc.table, loc.recordId, loc.field, ...(loc.extra ?? []));
}
