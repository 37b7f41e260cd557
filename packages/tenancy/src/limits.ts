import type { QuotaSetting, Tenant } from '@ax/core';
import { billingPeriodAt } from './periods.js';
import type { PlanCatalog } from './plans.js';
import type { TenancyPorts } from './ports.js';

/**
 * Writes a tenant's quota settings for `planName` in `tx`: every defined quota gets the plan's limit (0 when the
 * plan does not name it) unless overridden; usage and current periods are kept. Thresholds of quotas whose
 * limit changed are forgotten, so they fire again against the new limit.
 */
export async function applyPlanLimits(
  tx: TenancyPorts,
  plans: PlanCatalog,
  tenant: Tenant,
  planName: string,
  now: number,
  overrides: Readonly<Record<string, number | null>> = {},
): Promise<QuotaSetting[]> {
  const plan = plans.plan(planName);
  const existing = new Map((await tx.quotas.list(tenant.id)).map((q) => [q.quota, q]));
  const period = billingPeriodAt(now, tenant.billingAnchorDay);
  const settings: QuotaSetting[] = plans.quotas().map((def) => {
    const planLimit = plan.limits[def.name] ?? 0;
    const override =
      def.name in overrides ? (overrides[def.name] ?? null) : (existing.get(def.name)?.overrideLimit ?? null);
    const enforcement = plans.enforcement(plan, def.name);
    const limit = override ?? planLimit;
    return {
      quota: def.name,
      kind: def.kind,
      enforcement,
      limit,
      overrideLimit: override,
      // What "soft" and "unlimited" mean is decided here: no ceiling; the store compares with a plain number.
      ceiling: enforcement === 'soft' || limit < 0 ? null : limit,
      periodStart: def.kind === 'periodic' ? period.start : null,
      periodEnd: def.kind === 'periodic' ? period.end : null,
    };
  });
  await tx.quotas.upsertLimits(tenant.id, settings, now);
  for (const s of settings) {
    const before = existing.get(s.quota);
    if (before && before.limit !== s.limit) await tx.quotas.clearThresholds(tenant.id, s.quota);
  }
  return settings;
}
