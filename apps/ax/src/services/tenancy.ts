import type { StorePorts } from '@ax/core';
import { createTenancy, type Tenancy } from '@ax/tenancy';
import type { CommandContext } from '../context.js';

/** The tenancy services on the command's store. */
export async function tenancyServices(ctx: CommandContext): Promise<Tenancy<StorePorts>> {
  return createTenancy({ store: await ctx.store() });
}
