import { z } from 'zod';

/** Lower-case slug, 3 to 63 characters, starting with a letter or digit. */
export const slugSchema = z
  .string()
  .min(3)
  .max(63)
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'slug must be lower-case letters, digits and dashes');

/** Lifecycle of a tenant. `deleted` is a soft delete; purging is explicit. */
export const tenantStatusSchema = z.enum(['active', 'suspended', 'deleted']);
/** Lifecycle of a tenant. */
export type TenantStatus = z.infer<typeof tenantStatusSchema>;

/** A tenant as stored. Times are epoch milliseconds. */
export interface Tenant {
  id: string;
  slug: string;
  name: string;
  plan: string;
  status: TenantStatus;
  statusReason: string | null;
  /** Day of month (1-31) billing periods start on; null means calendar months in UTC. */
  billingAnchorDay: number | null;
  createdAt: number;
  updatedAt: number;
}

/** Lifecycle of a user. A suspended user gets no permissions anywhere. */
export const userStatusSchema = z.enum(['active', 'suspended']);
/** Lifecycle of a user. */
export type UserStatus = z.infer<typeof userStatusSchema>;

/** A user. Users are global; membership in tenants comes from role assignments. */
export interface User {
  id: string;
  email: string;
  status: UserStatus;
  createdAt: number;
  updatedAt: number;
}

/** The slug of the tenant `ax init` creates. */
export const DEFAULT_TENANT_SLUG = 'default';
