import type { Migration } from '../migrate.js';

/** Quota refunds: an idempotency record remembers when its consume was given back (at most once). */
export const quotaRefundsMigration: Migration = {
  id: 6,
  name: 'quota-refunds',
  sql: `
ALTER TABLE ax_quota_idempotency ADD COLUMN refunded_at INTEGER;
`,
};
