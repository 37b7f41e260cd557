import { ValidationError } from '@ax/core';
import type { Command } from 'commander';
import { pino } from 'pino';
import type { CommandAction } from '../program.js';
import { buildServer } from '../server.js';
import { startCheckpoints } from '../services/audit-checkpoints.js';
import { createServices } from '../services/root.js';
import { openStore } from '../store-ref.js';

/** `ax serve`: the HTTP API on Fastify, JSON logs through pino, clean shutdown on SIGTERM/SIGINT. */
export function registerServe(program: Command, action: CommandAction): void {
  program
    .command('serve')
    .description('start the HTTP API (/healthz, /readyz)')
    .option('--port <port>', 'port to listen on', '4100')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--checkpoint-every <minutes>', 'sign an audit checkpoint per tenant this often (off by default)')
    .option('--checkpoint-out <file>', 'append the checkpoints to this file as JSON lines (else the log)')
    .action(
      action(
        async (
          ctx,
          opts: { port: string; host: string; checkpointEvery?: string; checkpointOut?: string },
        ) => {
          const port = Number(opts.port);
          if (!Number.isInteger(port) || port < 0 || port > 65535) {
            throw new ValidationError(`invalid --port ${opts.port}`);
          }
          // the server refuses an unmigrated database rather than migrating behind the operator's back
          const store = await openStore(ctx.storeRef, { migrate: false });
          const logger = pino({ level: ctx.env.env.AX_LOG_LEVEL ?? 'info' });
          // one services root for the process; every request gets its own audit sink
          const services = createServices({
            store,
            env: ctx.env.env,
            reserveBlockSize: 4096,
            onWarning: (m) => logger.warn(m),
            onListenerError: (err) => logger.error({ err }, 'audit listener failed'),
          });
          const app = buildServer({ store, logger });
          const checkpoints = opts.checkpointEvery
            ? await startCheckpoints(services, logger, opts.checkpointEvery, opts.checkpointOut, ctx.env.cwd)
            : null;
          await app.listen({ port, host: opts.host });
          await new Promise<void>((resolve) => {
            const stop = (signal: string) => {
              logger.info({ signal }, 'shutting down');
              app
                .close()
                .then(() => checkpoints?.stop())
                .then(() => services.close())
                .then(() => store.close())
                .then(resolve, (err) => {
                  logger.error({ err }, 'error during shutdown');
                  resolve();
                });
            };
            process.once('SIGTERM', stop);
            process.once('SIGINT', stop);
          });
        },
      ),
    );
}
