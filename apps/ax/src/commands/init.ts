import { ConflictError, createIdGenerator, DEFAULT_TENANT_SLUG, systemClock } from '@ax/core';
import type { Command } from 'commander';
import type { CommandAction } from '../program.js';

/** `ax init`: create and migrate the database, and the default tenant. Safe to run again. */
export function registerInit(program: Command, action: CommandAction): void {
  program
    .command('init')
    .description(
      'create the database (--db, else AX_DB, else ./.ax/ax.db), migrate it, create the default tenant',
    )
    .action(
      action(async (ctx) => {
        const store = await ctx.store();
        let tenant = await store.tenants.getBySlug(DEFAULT_TENANT_SLUG);
        let created = false;
        if (!tenant) {
          const now = systemClock.now();
          const candidate = {
            id: createIdGenerator(systemClock).next('tenant'),
            slug: DEFAULT_TENANT_SLUG,
            name: 'Default',
            plan: 'free',
            status: 'active' as const,
            statusReason: null,
            billingAnchorDay: null,
            createdAt: now,
            updatedAt: now,
          };
          try {
            await store.tenants.insert(candidate);
            tenant = candidate;
            created = true;
          } catch (err) {
            // another `ax init` won the race: theirs is the default tenant
            if (!(err instanceof ConflictError)) throw err;
            tenant = await store.tenants.getBySlug(DEFAULT_TENANT_SLUG);
          }
        }
        ctx.out.result({ db: ctx.dbPath, defaultTenant: tenant, created }, () =>
          [
            `database   ${ctx.dbPath}`,
            `tenant     ${tenant?.slug} (${tenant?.id})${created ? ' created' : ' already there'}`,
          ].join('\n'),
        );
      }),
    );
}
