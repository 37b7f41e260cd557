import { parseInput } from '@ax/core';
import { z } from 'zod';

const partSchema = z.union([z.string(), z.number().int().nonnegative(), z.instanceof(Uint8Array)]);
const partsSchema = z.array(partSchema).min(1).max(64);

/** One component of associated data: text (UTF-8), a non-negative integer, or raw bytes. */
export type AadPart = string | number | Uint8Array;

const LABEL = Buffer.from('ax-aad/1', 'latin1');
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
  let size = LABEL.byteLength + 2;
  for (const p of parts) {
    size +=
      5 +
      (typeof p === 'string'
        ? Buffer.byteLength(p, 'utf8')
        : typeof p === 'number'
          ? digits(p)
          : p.byteLength);
  }
  const out = Buffer.allocUnsafe(size);
  LABEL.copy(out, 0);
  let at = out.writeUInt16BE(parts.length, LABEL.byteLength);
  for (const p of parts) {
    if (typeof p === 'string') {
      const len = Buffer.byteLength(p, 'utf8');
      at = out.writeUInt8(TAG_STRING, at);
      at = out.writeUInt32BE(len, at);
      at += out.write(p, at, len, 'utf8');
    } else if (typeof p === 'number') {
      const text = String(p);
      at = out.writeUInt8(TAG_NUMBER, at);
      at = out.writeUInt32BE(text.length, at);
      at += out.write(text, at, text.length, 'latin1');
    } else {
      at = out.writeUInt8(TAG_BYTES, at);
      at = out.writeUInt32BE(p.byteLength, at);
      out.set(p, at);
      at += p.byteLength;
    }
  }
  return out;
}

function digits(n: number): number {
  return String(n).length;
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
