import { migrateSqlite } from '@ax/store-sqlite';
import type { Command } from 'commander';
import type { CommandAction } from '../program.js';

/** `ax migrate`: verify applied migrations' checksums and apply pending ones. */
export function registerMigrate(program: Command, action: CommandAction): void {
  program
    .command('migrate')
    .description('apply pending database migrations (refuses edited migrations and newer databases)')
    .action(
      action(async (ctx) => {
        const result = await migrateSqlite(ctx.dbPath);
        ctx.out.result({ db: ctx.dbPath, ...result }, () =>
          result.applied.length === 0
            ? `database at version ${result.version}: nothing to apply`
            : `applied ${result.applied.map((m) => `${m.id} ${m.name}`).join(', ')}; database at version ${result.version}`,
        );
      }),
    );
}
