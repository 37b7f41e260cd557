import type { Migration } from '../migrate.js';

/**
 * Quota ceilings: the bound a consume or lease acquire enforces, computed by the domain (null = none, for
 * unlimited and soft quotas), so the adapter's conditional statements compare with a number and decide nothing.
 * Existing rows get the ceiling the old statements enforced.
 */
export const quotaCeilingMigration: Migration = {
  id: 7,
  name: 'quota-ceiling',
  sql: `
ALTER TABLE ax_quotas ADD COLUMN ceiling INTEGER;
UPDATE ax_quotas SET ceiling = CASE WHEN quota_limit < 0 OR enforcement = 'soft' THEN NULL ELSE quota_limit END;
`,
};
