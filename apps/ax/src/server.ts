import type { Store } from '@ax/core';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';

/** What the HTTP API is built from. */
export interface ServerDeps {
  store: Store;
  logger: Logger;
}

/** The HTTP API. `/healthz` says the process is up; `/readyz` says the database answers and is intact. */
export function buildServer(deps: ServerDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
  }) as unknown as FastifyInstance;
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    try {
      await deps.store.ping();
      return { status: 'ready' };
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'INTERNAL';
      return reply.code(503).send({ status: 'unavailable', code });
    }
  });
  return app;
}
