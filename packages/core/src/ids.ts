import { monotonicFactory } from 'ulid';
import { z } from 'zod';
import { type Clock, systemClock } from './clock.js';

/** Id prefixes by entity kind. Ids are `<prefix>_<ULID>`: prefixed, and sortable by creation time. */
export const ID_PREFIXES = {
  tenant: 'tnt',
  user: 'usr',
  role: 'rol',
  secret: 'sec',
  audit: 'aud',
  backup: 'bkp',
  lease: 'lse',
  apiKey: 'key',
  request: 'req',
} as const;

/** A kind of entity that has an id. */
export type IdKind = keyof typeof ID_PREFIXES;

/** Makes new ids. Injected, like the clock, so tests can make them deterministic. */
export interface IdGenerator {
  next(kind: IdKind): string;
}

/** Ids from a monotonic ULID factory seeded by `clock`: strictly increasing within a process. */
export function createIdGenerator(clock: Clock = systemClock): IdGenerator {
  const ulid = monotonicFactory();
  return { next: (kind) => `${ID_PREFIXES[kind]}_${ulid(clock.now())}` };
}

const ULID = '[0-9A-HJKMNP-TV-Z]{26}';

/** A zod schema accepting ids of one kind, e.g. `idSchema('tenant')` accepts `tnt_01J…`. */
export function idSchema(kind: IdKind): z.ZodString {
  return z.string().regex(new RegExp(`^${ID_PREFIXES[kind]}_${ULID}$`), `expected a ${kind} id`);
}

/** True when `value` looks like an id of `kind`. */
export function isId(kind: IdKind, value: string): boolean {
  return value.length === ID_PREFIXES[kind].length + 27 && idSchema(kind).safeParse(value).success;
}

/** A tenant id (`tnt_…`). */
export const tenantIdSchema: z.ZodString = idSchema('tenant');
/** A user id (`usr_…`). */
export const userIdSchema: z.ZodString = idSchema('user');
/** A concurrency lease id (`lse_…`). */
export const leaseIdSchema: z.ZodString = idSchema('lease');

/**
 * The pseudo-tenant of installation-wide events (user status, super-admin flags, keyring changes): their audit
 * chain is kept under this id. It is never a real tenant's id (those are `tnt_…`).
 */
export const PLATFORM_TENANT_ID = 'platform';
