import { NotFoundError, type Store, type User } from '@ax/core';
import type { Rbac } from '@ax/rbac';
import type { CommandContext } from '../context.js';

/** The Rbac service of the services root: one per process, so every check of a run shares its cache. */
export async function rbacOf(ctx: CommandContext): Promise<Rbac> {
  return (await ctx.services()).rbac();
}

/** The user with that id (`usr_…`) or e-mail, or null. */
export function lookupUser(store: Store, idOrEmail: string): Promise<User | null> {
  return idOrEmail.includes('@') ? store.users.getByEmail(idOrEmail) : store.users.get(idOrEmail);
}

/** Finds a user by id (`usr_…`) or e-mail; NotFoundError when there is none. */
export async function findUser(store: Store, idOrEmail: string): Promise<User> {
  const user = await lookupUser(store, idOrEmail);
  if (!user) throw new NotFoundError(`user ${idOrEmail} not found`);
  return user;
}
