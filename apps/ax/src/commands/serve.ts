import { ValidationError } from '@ax/core';
import { openSqliteStore } from '@ax/store-sqlite';
import type { Command } from 'commander';
import { pino } from 'pino';
import type { CommandAction } from '../program.js';
import { buildServer } from '../server.js';

/** `ax serve`: the HTTP API on Fastify, JSON logs through pino, clean shutdown on SIGTERM/SIGINT. */
export function registerServe(program: Command, action: CommandAction): void {
  program
    .command('serve')
    .description('start the HTTP API (/healthz, /readyz)')
    .option('--port <port>', 'port to listen on', '4100')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .action(
      action(async (ctx, opts: { port: string; host: string }) => {
        const port = Number(opts.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535) {
          throw new ValidationError(`invalid --port ${opts.port}`);
        }
        // the server refuses an unmigrated database rather than migrating behind the operator's back
        const store = await openSqliteStore(ctx.dbPath, { migrate: false });
        const logger = pino({ level: ctx.env.env.AX_LOG_LEVEL ?? 'info' });
        const app = buildServer({ store, logger });
        await app.listen({ port, host: opts.host });
        await new Promise<void>((resolve) => {
          const stop = (signal: string) => {
            logger.info({ signal }, 'shutting down');
            app
              .close()
              .then(() => store.close())
              .then(resolve, (err) => {
                logger.error({ err }, 'error during shutdown');
                resolve();
              });
          };
          process.once('SIGTERM', stop);
          process.once('SIGINT', stop);
        });
      }),
    );
}
