import { resolve } from 'node:path';
import { fileCheckpointPublisher, scheduleCheckpoints } from '@ax/audit';
import { ValidationError } from '@ax/core';
import type { Logger } from 'pino';
import type { Services } from './root.js';

/**
 * `ax serve --checkpoint-every <minutes>`: signs a checkpoint for every tenant whose audit head moved, each
 * interval, and publishes it to `--checkpoint-out` (JSON lines) or the server log.
 */
export async function startCheckpoints(
  services: Services,
  logger: Logger,
  everyMinutes: string,
  out: string | undefined,
  cwd: string,
): Promise<{ stop(): Promise<void> }> {
  const minutes = Number(everyMinutes);
  if (!Number.isFinite(minutes) || minutes <= 0) {
    throw new ValidationError(`invalid --checkpoint-every ${everyMinutes}: expected minutes > 0`);
  }
  const { store } = services;
  const audit = await services.audit();
  const toFile = out ? fileCheckpointPublisher(resolve(cwd, out)) : null;
  return scheduleCheckpoints(audit, {
    everyMs: Math.max(100, Math.round(minutes * 60_000)),
    async tenants() {
      const ids: string[] = [];
      let afterId: string | undefined;
      for (;;) {
        const page = await store.tenants.list({ afterId, limit: 500 });
        ids.push(...page.map((t) => t.id));
        if (page.length < 500) return ids;
        afterId = page[page.length - 1]!.id;
      }
    },
    publish: async (cp) => {
      if (toFile) await toFile(cp);
      else logger.info({ checkpoint: cp }, 'audit checkpoint');
    },
    onError: (err, tenantId) => logger.error({ err, tenantId }, 'audit checkpoint failed'),
  });
}
