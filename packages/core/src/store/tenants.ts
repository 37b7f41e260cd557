import type { Tenant, TenantStatus } from '../entities.js';

/** Fields of a tenant that may change after creation. */
export type TenantPatch = Partial<
  Pick<Tenant, 'name' | 'plan' | 'status' | 'statusReason' | 'billingAnchorDay'>
> & {
  updatedAt: number;
};

/** Cursor page request: ids are time-sortable, so `afterId` gives stable pagination. */
export interface PageRequest {
  afterId?: string;
  limit: number;
}

/** Storage port for tenants. */
export interface TenantStore {
  /** Inserts a tenant. Rejects with ConflictError when the id or slug is taken. */
  insert(tenant: Tenant): Promise<void>;
  get(id: string): Promise<Tenant | null>;
  getBySlug(slug: string): Promise<Tenant | null>;
  /** Tenants ordered by id, after `afterId`, optionally filtered by status. */
  list(page: PageRequest & { status?: readonly TenantStatus[] }): Promise<Tenant[]>;
  /** Applies `patch`; returns the updated tenant, or null when there is none with that id. */
  update(id: string, patch: TenantPatch): Promise<Tenant | null>;
  /** Removes the tenant row for good. Returns false when there was none. */
  purge(id: string): Promise<boolean>;
}
