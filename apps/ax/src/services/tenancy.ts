import type { StorePorts } from '@ax/core';
import { createTenancy, type Tenancy } from '@ax/tenancy';
import type { CommandContext } from '../context.js';
import { auditService } from './audit.js';
import { wireTenancyAudit } from './audit-wiring.js';

/** The tenancy services on the command's store, their events recorded in the audit log. */
export async function tenancyServices(ctx: CommandContext): Promise<Tenancy<StorePorts>> {
  const tenancy = createTenancy({ store: await ctx.store() });
  wireTenancyAudit(tenancy.events, await auditService(ctx, { quiet: true }));
  return tenancy;
}
