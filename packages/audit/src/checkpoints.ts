import { appendFile } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import type { AuditLog } from './audit-log.js';
import type { PublishedCheckpoint } from './schemas.js';

/** Where a checkpoint goes: `AuditLogOptions.publishCheckpoint` takes one of these (or your webhook). */
export type CheckpointPublisher = (cp: PublishedCheckpoint) => void | Promise<void>;

/** Appends each checkpoint as one JSON line to `file` (keep it on other storage than the database). */
export function fileCheckpointPublisher(file: string): CheckpointPublisher {
  return (cp) => appendFile(file, `${JSON.stringify(cp)}\n`);
}

/** Writes each checkpoint as one JSON line to a stream (e.g. `process.stdout` for a log shipper). */
export function streamCheckpointPublisher(out: Writable): CheckpointPublisher {
  return (cp) => {
    out.write(`${JSON.stringify(cp)}\n`);
  };
}

/** Calls every publisher in turn; the first failure rejects. */
export function allPublishers(...publishers: CheckpointPublisher[]): CheckpointPublisher {
  return async (cp) => {
    for (const p of publishers) await p(cp);
  };
}

/** Options for {@link scheduleCheckpoints}. */
export interface CheckpointScheduleOptions {
  /** Interval between rounds, in ms (e.g. 15 minutes). */
  everyMs: number;
  /** The tenants to checkpoint each round (e.g. every active tenant). */
  tenants: () => Promise<readonly string[]>;
  /** Also publishes each checkpoint here (besides the log's own `publishCheckpoint`). */
  publish?: CheckpointPublisher;
  /** Told about a failed checkpoint; the schedule keeps going. */
  onError?: (err: unknown, tenantId: string) => void;
}

/**
 * Writes (and so publishes) a checkpoint for each tenant every `everyMs`, skipping tenants whose head did not
 * move since their last checkpoint. Returns `stop()`, which resolves once a running round has finished.
 * The timer is unref'd: it never keeps a process alive by itself.
 */
export function scheduleCheckpoints(
  log: AuditLog,
  options: CheckpointScheduleOptions,
): { stop(): Promise<void> } {
  const last = new Map<string, number>();
  let running: Promise<void> | null = null;
  const round = async () => {
    for (const tenantId of await options.tenants()) {
      try {
        const head = await log.store.audit.head(tenantId);
        if (last.get(tenantId) === head.seq) continue;
        const cp = await log.checkpoint(tenantId);
        last.set(tenantId, cp.seq);
        await options.publish?.(cp);
      } catch (err) {
        options.onError?.(err, tenantId);
      }
    }
  };
  const timer = setInterval(() => {
    if (running) return; // a slow round is still going: skip this tick
    running = round().finally(() => {
      running = null;
    });
  }, options.everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
