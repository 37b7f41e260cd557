import { describe, expect, it } from 'vitest';
import { tenantStoreSuite, transactionSuite } from '../src/index.js';
import { optimisticTenantStore } from './optimistic-store.js';

let conflicts = 0;
const make = async () => {
  const { store, rows, stats } = optimisticTenantStore();
  return {
    store,
    probe: { tenantRow: async (id: string) => (rows.get(id) ? { ...rows.get(id)!.tenant } : null) },
    cleanup: async () => {
      conflicts += stats.conflicts;
    },
  };
};

// An adapter that detects conflicts and retries (not one that serialises) passes the same suites.
transactionSuite({ describe, it }, make);
tenantStoreSuite({ describe, it }, make);

describe('the optimistic fake', () => {
  it('really conflicted and retried in the suites above (so they exercised the retry path)', () => {
    expect(conflicts).toBeGreaterThan(0);
  });
});
