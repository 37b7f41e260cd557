import type { Command } from 'commander';
import type { CommandAction } from '../program.js';
import { openStore } from '../store-ref.js';

/** `ax migrate`: verify applied migrations' checksums and apply pending ones. */
export function registerMigrate(program: Command, action: CommandAction): void {
  program
    .command('migrate')
    .description('apply pending database migrations (refuses edited migrations and newer databases)')
    .action(
      action(async (ctx) => {
        if (ctx.storeRef.kind !== 'sqlite') {
          // other adapters migrate (under their own lock) when opened with migrate: true
          await (await openStore(ctx.storeRef, { migrate: true })).close();
          ctx.out.result({ db: ctx.dbPath, migrated: true }, () => `${ctx.dbPath}: migrations applied`);
          return;
        }
        const { migrateSqlite } = await import('@ax/store-sqlite');
        const result = await migrateSqlite(ctx.storeRef.path);
        ctx.out.result({ db: ctx.dbPath, ...result }, () =>
          result.applied.length === 0
            ? `database at version ${result.version}: nothing to apply`
            : `applied ${result.applied.map((m) => `${m.id} ${m.name}`).join(', ')}; database at version ${result.version}`,
        );
      }),
    );
}
