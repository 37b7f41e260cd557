import type { Migration } from '../migrate.js';
import { coreMigration } from './0001-core.js';
import { keyringSecretsMigration } from './0002-keyring-secrets.js';
import { rbacMigration } from './0003-rbac.js';
import { tenancyMigration } from './0004-tenancy.js';
import { auditMigration } from './0005-audit.js';
import { quotaRefundsMigration } from './0006-quota-refunds.js';
import { quotaCeilingMigration } from './0007-quota-ceiling.js';
import { rbacPrincipalsMigration } from './0008-rbac-principals.js';

/**
 * Every migration this adapter knows, in order. Forward-only: never edit one that has shipped; add the next.
 * Numbers 1-5 were the first schema of each domain (1 core, 2 secrets/keyring, 3 rbac, 4 tenancy, 5 audit);
 * later changes take the next free number.
 */
export const MIGRATIONS: readonly Migration[] = [
  coreMigration,
  keyringSecretsMigration,
  rbacMigration,
  tenancyMigration,
  auditMigration,
  quotaRefundsMigration,
  quotaCeilingMigration,
  rbacPrincipalsMigration,
];
