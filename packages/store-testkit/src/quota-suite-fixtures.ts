import type { Lease, QuotaSetting, StorePorts } from '@ax/core';
import { makeTenant, testId } from './fixtures.js';

export const JAN = Date.UTC(2026, 0, 1);
export const FEB = Date.UTC(2026, 1, 1);
export const MAR = Date.UTC(2026, 2, 1);
export const NOW = Date.UTC(2026, 0, 15);

/** One quota of each kind: counters, periodic (hard and soft), unlimited, concurrency. */
export const SETTINGS: QuotaSetting[] = [
  {
    quota: 'workflows',
    kind: 'counter',
    enforcement: 'hard',
    limit: 5,
    overrideLimit: null,
    ceiling: 5,
    periodStart: null,
    periodEnd: null,
  },
  {
    quota: 'executionsThisMonth',
    kind: 'periodic',
    enforcement: 'hard',
    limit: 10,
    overrideLimit: null,
    ceiling: 10,
    periodStart: JAN,
    periodEnd: FEB,
  },
  {
    quota: 'apiCallsThisMonth',
    kind: 'periodic',
    enforcement: 'soft',
    limit: 10,
    overrideLimit: null,
    ceiling: null,
    periodStart: JAN,
    periodEnd: FEB,
  },
  {
    quota: 'storageBytes',
    kind: 'counter',
    enforcement: 'hard',
    limit: -1,
    overrideLimit: null,
    ceiling: null,
    periodStart: null,
    periodEnd: null,
  },
  {
    quota: 'concurrentExecutions',
    kind: 'concurrency',
    enforcement: 'hard',
    limit: 2,
    overrideLimit: null,
    ceiling: 2,
    periodStart: null,
    periodEnd: null,
  },
];

/** A tenant with the five quota settings above. */
export async function tenantWithQuotas(store: Pick<StorePorts, 'tenants' | 'quotas'>): Promise<string> {
  const tenant = makeTenant();
  await store.tenants.insert(tenant);
  await store.quotas.upsertLimits(tenant.id, SETTINGS, NOW);
  return tenant.id;
}

/** A lease on `concurrentExecutions`. */
export function lease(tenantId: string, now: number, ttl: number, over: Partial<Lease> = {}): Lease {
  return {
    id: testId('lse'),
    tenantId,
    quota: 'concurrentExecutions',
    holder: null,
    acquiredAt: now,
    expiresAt: now + ttl,
    ...over,
  };
}
