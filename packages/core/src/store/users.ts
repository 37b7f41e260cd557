import type { User } from '../entities.js';
import type { PageRequest } from './tenants.js';

/** Fields of a user that may change after creation. */
export type UserPatch = Partial<Pick<User, 'email' | 'status'>> & {
  updatedAt: number;
};

/** Storage port for users (global; tenant membership comes from role assignments). */
export interface UserStore {
  /** Inserts a user. Rejects with ConflictError when the id or email is taken. */
  insert(user: User): Promise<void>;
  get(id: string): Promise<User | null>;
  /** Looks a user up by e-mail, case-insensitively. */
  getByEmail(email: string): Promise<User | null>;
  list(page: PageRequest): Promise<User[]>;
  update(id: string, patch: UserPatch): Promise<User | null>;
  purge(id: string): Promise<boolean>;
}
