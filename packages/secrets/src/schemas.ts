import { actorSchema } from '@ax/core';
import { z } from 'zod';

/** Secret keys: path-like names, e.g. `stripe/api-key`. Letters, digits and `. _ / -`, up to 200 chars. */
export const SECRET_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$/;
/** Largest value accepted, in bytes. */
export const MAX_SECRET_BYTES = 64 * 1024;

export const secretKeySchema = z.string().regex(SECRET_KEY_PATTERN, 'letters, digits and . _ / - (max 200)');
export const scopeSchema = z.object({
  tenantId: z.string().min(1).max(200),
  actor: actorSchema,
  requestId: z.string().max(200).optional(),
});
export const valueSchema = z
  .union([z.string(), z.instanceof(Uint8Array)])
  .refine(
    (v) => (typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : v.byteLength) <= MAX_SECRET_BYTES,
    `value larger than ${MAX_SECRET_BYTES} bytes`,
  );
export const casSchema = z.number().int().min(0).optional();
export const versionSchema = z.number().int().min(1);

/** Fast structural check of a scope; zod runs only to produce the ValidationError. */
export function looksLikeScope(s: unknown): boolean {
  if (typeof s !== 'object' || s === null) return false;
  const { tenantId, actor } = s as { tenantId?: unknown; actor?: { type?: unknown; id?: unknown } };
  return (
    typeof tenantId === 'string' &&
    tenantId.length > 0 &&
    tenantId.length <= 200 &&
    typeof actor === 'object' &&
    actor !== null &&
    (actor.type === 'user' || actor.type === 'apiKey' || actor.type === 'system') &&
    typeof actor.id === 'string' &&
    actor.id.length > 0 &&
    actor.id.length <= 200
  );
}
