import type { Tenant, User } from '@ax/core';

let counter = 0;
const BASE32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function crockford(value: number, width: number): string {
  let out = '';
  let n = value;
  for (let i = 0; i < width; i++) {
    out = BASE32[n % 32] + out;
    n = Math.floor(n / 32);
  }
  return out;
}

/** A syntactically valid id with the given prefix, unique within the process and sortable by creation. */
export function testId(prefix: string): string {
  counter++;
  return `${prefix}_${crockford(Date.UTC(2026, 0, 1) + counter, 10)}${crockford(counter, 16)}`;
}

/** A tenant entity with sensible defaults. */
export function makeTenant(over: Partial<Tenant> = {}): Tenant {
  const id = over.id ?? testId('tnt');
  return {
    id,
    slug: `t-${id.slice(-12).toLowerCase()}`,
    name: 'Acme',
    plan: 'free',
    status: 'active',
    statusReason: null,
    billingAnchorDay: null,
    createdAt: 1_767_225_600_000,
    updatedAt: 1_767_225_600_000,
    ...over,
  };
}

/** A user entity with sensible defaults. */
export function makeUser(over: Partial<User> = {}): User {
  const id = over.id ?? testId('usr');
  return {
    id,
    email: `${id.slice(-10).toLowerCase()}@example.test`,
    status: 'active',
    createdAt: 1_767_225_600_000,
    updatedAt: 1_767_225_600_000,
    ...over,
  };
}

/** Runs `fn` with a fresh fixture and always cleans up. */
export async function withFixture<F extends { cleanup(): Promise<void> }>(
  make: () => Promise<F>,
  fn: (f: F) => Promise<void>,
): Promise<void> {
  const f = await make();
  try {
    await fn(f);
  } finally {
    await f.cleanup();
  }
}
