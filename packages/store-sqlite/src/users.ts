import type { PageRequest, User, UserPatch, UserStatus, UserStore } from '@ax/core';
import type { Database } from 'better-sqlite3';
import { PatchStatements } from './patch-statement.js';
import { mapSqliteError } from './sqlite-errors.js';

export interface UserRow {
  id: string;
  email: string;
  status: UserStatus;
  created_at: number;
  updated_at: number;
}

export function toUser(r: UserRow): User {
  return {
    id: r.id,
    email: r.email,
    status: r.status,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** UserStore on one better-sqlite3 connection. */
export function sqliteUserStore(db: Database): UserStore {
  const insert = db.prepare(
    'INSERT INTO users (id, email, status, created_at, updated_at) VALUES (@id, @email, @status, @createdAt, @updatedAt)',
  );
  const byId = db.prepare('SELECT * FROM users WHERE id = ?');
  const byEmail = db.prepare('SELECT * FROM users WHERE email = ?');
  const page = db.prepare('SELECT * FROM users WHERE id > ? ORDER BY id LIMIT ?');
  const purge = db.prepare('DELETE FROM users WHERE id = ?');
  const patch = new PatchStatements(db, 'users', {
    email: 'email',
    status: 'status',
    updatedAt: 'updated_at',
  });

  return {
    async insert(user: User) {
      try {
        insert.run(user);
      } catch (err) {
        throw mapSqliteError(err, `user ${user.email}`);
      }
    },
    async get(id: string) {
      const row = byId.get(id) as UserRow | undefined;
      return row ? toUser(row) : null;
    },
    async getByEmail(email: string) {
      const row = byEmail.get(email) as UserRow | undefined;
      return row ? toUser(row) : null;
    },
    async list(req: PageRequest) {
      return (page.all(req.afterId ?? '', req.limit) as UserRow[]).map(toUser);
    },
    async update(id: string, p: UserPatch) {
      try {
        const row = patch.run(id, p) as UserRow | undefined;
        return row ? toUser(row) : null;
      } catch (err) {
        throw mapSqliteError(err, 'user');
      }
    },
    async purge(id: string) {
      return purge.run(id).changes > 0;
    },
  };
}
