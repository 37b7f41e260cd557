import { createIdGenerator, NotFoundError, type Store, systemClock, type User } from '@ax/core';
import { createRbac, type Rbac } from '@ax/rbac';
import { auditForStore } from './audit.js';
import { wireRbacAudit } from './audit-wiring.js';

const RBACS = new WeakMap<Store, Rbac>();

/** The Rbac service for a store: one per store, so every command of a run shares its cache. */
export function rbacFor(store: Store): Rbac {
  let rbac = RBACS.get(store);
  if (!rbac) {
    rbac = createRbac({ store, clock: systemClock, ids: createIdGenerator(systemClock) });
    RBACS.set(store, rbac);
    // Role and assignment changes (in their transaction), denied decisions and what-if checks
    // (AX_AUDIT_DENIED=off to skip; tracked in the running command's audit sink) go to the audit log.
    wireRbacAudit(rbac.events, () => auditForStore(store, { env: { ...process.env } }), {
      denied: process.env.AX_AUDIT_DENIED !== 'off',
    });
  }
  return rbac;
}

/** Finds a user by id (`usr_…`) or e-mail. */
export async function findUser(store: Store, idOrEmail: string): Promise<User> {
  const user = idOrEmail.includes('@')
    ? await store.users.getByEmail(idOrEmail)
    : await store.users.get(idOrEmail);
  if (!user) throw new NotFoundError(`user ${idOrEmail} not found`);
  return user;
}
