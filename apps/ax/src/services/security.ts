import { NotFoundError, type Store, type User } from '@ax/core';
import type { Rbac } from '@ax/rbac';
import type { CommandContext } from '../context.js';

/** The Rbac service of the services root: one per process, so every check of a run shares its cache. */
export async function rbacOf(ctx: CommandContext): Promise<Rbac> {
  return (await ctx.services()).rbac();
}

/** Finds a user by id (`usr_…`) or e-mail. */
export async function findUser(store: Store, idOrEmail: string): Promise<User> {
  const user = idOrEmail.includes('@')
    ? await store.users.getByEmail(idOrEmail)
    : await store.users.get(idOrEmail);
  if (!user) throw new NotFoundError(`user ${idOrEmail} not found`);
  return user;
}
