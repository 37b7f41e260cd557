import type { StorePorts } from '@ax/core';
import type { Tenancy } from '@ax/tenancy';
import type { CommandContext } from '../context.js';

/** The tenancy services of the services root, their events recorded in the audit log. */
export async function tenancyServices(ctx: CommandContext): Promise<Tenancy<StorePorts>> {
  return (await ctx.services()).tenancy();
}
