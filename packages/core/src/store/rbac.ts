import type { Tenant, User } from '../entities.js';

/**
 * A raw rule as stored: CASL's JSON rule shape. Conditions may hold `${user.id}` / `${tenant.id}` placeholders,
 * which the rbac service interpolates as data when it builds an ability. Storage keeps it as opaque JSON.
 */
export interface StoredRule {
  action: string | string[];
  subject: string | string[];
  conditions?: Record<string, unknown>;
  fields?: string | string[];
  inverted?: boolean;
  reason?: string;
}

/** A custom role, owned by one tenant. System roles live in code (@ax/rbac) and are never stored. */
export interface RoleRecord {
  id: string;
  tenantId: string;
  /** Unique within the tenant. */
  name: string;
  description: string | null;
  /** Permission strings (`resource.action` or `*`). */
  permissions: string[];
  /** Raw rules, beside the permissions. */
  rules: StoredRule[];
  /** Names of roles this role extends (system roles or roles of the same tenant). */
  extends: string[];
  createdAt: number;
  updatedAt: number;
}

/** Fields of a role that may change after creation. */
export type RolePatch = Partial<Pick<RoleRecord, 'description' | 'permissions' | 'rules' | 'extends'>> & {
  updatedAt: number;
};

/**
 * One role held by one principal within one tenant. A principal is a user or an API key: an API key holds roles
 * in its tenant exactly as a user does.
 */
export interface RoleAssignment {
  tenantId: string;
  /**
   * The principal's id: a user id (`usr_…`) or an API key id (`key_…`, see `isId('apiKey', …)`). The typed
   * prefixes keep the two kinds apart, so the field keeps its name. An adapter stores a key's assignment without
   * a user row, and still refuses an assignment to a user id that has no user; purging a user removes its
   * assignments in every tenant.
   */
  userId: string;
  /** Role name: a system role or a custom role of the same tenant. */
  role: string;
  /** Actor id that made the assignment. */
  grantedBy: string;
  createdAt: number;
}

/**
 * Everything needed to build one (tenant, principal) ability, with the epoch it is at least as new as. The
 * principal is a user or an API key (see {@link RoleAssignment.userId}).
 */
export interface PolicySnapshot {
  /** The policy epoch the snapshot was read at. */
  epoch: number;
  tenant: Tenant | null;
  /** The user, or null when there is no such user (always for an API key principal). */
  user: User | null;
  /** The user holds the platform super-admin flag (never true for an API key principal: the flag is per user). */
  superAdmin: boolean;
  /** Role names assigned to the principal (user or API key) in this tenant. */
  assigned: string[];
  /**
   * Every custom role of the tenant, with its `extends` edges as stored, ordered by name. The adapter does not
   * walk the hierarchy (the domain does: which roles `assigned` reaches, cycles, system roles). Never a role of
   * another tenant.
   */
  roles: RoleRecord[];
}

/**
 * Storage port for roles, assignments, the super-admin flag and the policy epoch.
 *
 * The policy epoch is a number that increases with every change that can alter a permission: every write
 * through this port bumps it in the same transaction as the write, and so does any change of a user's or a
 * tenant's `status`, whichever port makes it. Caches compare epochs to stay coherent across processes.
 */
export interface RbacStore {
  /** Inserts a custom role. Rejects with ConflictError when the tenant already has one of that name. */
  insertRole(role: RoleRecord): Promise<void>;
  /** The tenant's role of that name, or null (never another tenant's). */
  getRole(tenantId: string, name: string): Promise<RoleRecord | null>;
  /** Every custom role of the tenant, ordered by name. */
  listRoles(tenantId: string): Promise<RoleRecord[]>;
  /** Applies `patch` to the tenant's role; null when the tenant has no role of that name. */
  updateRole(tenantId: string, name: string, patch: RolePatch): Promise<RoleRecord | null>;
  /** Deletes the tenant's role and every assignment of it in that tenant. False when there was none. */
  deleteRole(tenantId: string, name: string): Promise<boolean>;
  /**
   * Assigns a role to a user or an API key (`userId`, see {@link RoleAssignment.userId}); false (and no epoch
   * bump) when the principal already held it in that tenant.
   */
  assign(assignment: RoleAssignment): Promise<boolean>;
  /** Revokes a role of a user or an API key (`userId`); false when the principal did not hold it in that tenant. */
  revoke(tenantId: string, userId: string, role: string): Promise<boolean>;
  /**
   * Assignments in a tenant, optionally of one principal (`userId`: a user or an API key id), ordered by
   * principal id then role.
   */
  listAssignments(filter: { tenantId: string; userId?: string }): Promise<RoleAssignment[]>;
  /** Sets or clears the platform super-admin flag of a user. */
  setSuperAdmin(userId: string, superAdmin: boolean, at: number): Promise<void>;
  /** Users holding the super-admin flag, ordered by id. */
  listSuperAdmins(): Promise<string[]>;
  /** Bumps the policy epoch and returns the new value. */
  bumpEpoch(): Promise<number>;
  /** The current policy epoch. Must be cheap: caches call it on every time-to-live expiry. */
  epoch(): Promise<number>;
  /**
   * Reads what one (tenant, principal) ability needs, and the epoch; `userId` is a user or an API key id. The
   * data must be at least as new as the epoch returned (read the epoch first, or everything in one snapshot),
   * never older.
   */
  loadPolicy(tenantId: string, userId: string): Promise<PolicySnapshot>;
}
