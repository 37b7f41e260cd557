import type { AuditStore } from './audit.js';
import type { KeyringStore } from './keyring.js';
import type { SecretStore } from './secrets.js';
import type { QuotaStore } from './quota.js';
import type { RbacStore } from './rbac.js';
import type { TenantStore } from './tenants.js';
import type { UserStore } from './users.js';

/**
 * Every storage port, by name. Later packages add their port here (one file per domain in this folder),
 * and every adapter implements all of them.
 */
export interface StorePorts {
  tenants: TenantStore;
  users: UserStore;
  audit: AuditStore;
  keyring: KeyringStore;
  secrets: SecretStore;
  quotas: QuotaStore;
  rbac: RbacStore;
}

/**
 * A set of ports plus `transaction(fn)`: what `fn` does through the `tx` ports it receives commits together,
 * or not at all when `fn` throws. Domain services ask for `Transactional<Pick<StorePorts, …>>`, only the
 * ports they use, so any adapter (or a test double) that has those ports fits.
 */
export type Transactional<P> = P & {
  transaction<T>(fn: (tx: P) => Promise<T>): Promise<T>;
};

/** The aggregate store an adapter returns. */
export interface Store extends Transactional<StorePorts> {
  /** Adapter name, e.g. "sqlite". */
  readonly kind: string;
  /** Resolves when storage is reachable and intact; rejects with an AxError otherwise. Used by /readyz. */
  ping(): Promise<void>;
  /** Closes connections. Pending transactions finish first. */
  close(): Promise<void>;
}
