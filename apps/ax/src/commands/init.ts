import { ConflictError, DEFAULT_TENANT_SLUG, type Tenant } from '@ax/core';
import type { Command } from 'commander';
import type { CommandAction } from '../program.js';
import { tenancyServices } from '../services/tenancy.js';

/** `ax init`: create and migrate the database, and the default tenant with its quotas. Safe to run again. */
export function registerInit(program: Command, action: CommandAction): void {
  program
    .command('init')
    .description(
      'create the database (--db, else AX_DB, else ./.ax/ax.db), migrate it, create the default tenant',
    )
    .action(
      action(async (ctx) => {
        const platform = await ctx.authorizePlatform('tenant.write');
        const { actor } = platform;
        const { tenants } = await tenancyServices(ctx);
        let tenant: Tenant | null = await tenants.find(DEFAULT_TENANT_SLUG);
        let created = false;
        if (!tenant) {
          try {
            tenant = await tenants.create(platform, {
              name: 'Default',
              slug: DEFAULT_TENANT_SLUG,
              plan: 'free',
            });
            created = true;
          } catch (err) {
            // another `ax init` won the race: theirs is the default tenant
            if (!(err instanceof ConflictError)) throw err;
            tenant = await tenants.get(DEFAULT_TENANT_SLUG);
          }
        }
        // a default tenant from before quotas existed (or a quota defined since) gets its plan's quotas
        if (!created) tenant = await tenants.syncQuotas({ tenantId: tenant.id, actor });
        const t = tenant;
        ctx.out.result({ db: ctx.dbPath, defaultTenant: t, created }, () =>
          [
            `database   ${ctx.dbPath}`,
            `tenant     ${t.slug} (${t.id}), plan ${t.plan}${created ? ' created' : ' already there'}`,
          ].join('\n'),
        );
      }),
    );
}
