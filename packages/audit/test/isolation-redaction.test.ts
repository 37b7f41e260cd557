import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exportAudit, exportAuditToFile, secret } from '../src/index.js';
import { ctxFor, fixture, T1, T2 } from './helpers.js';

const TENANTS = [T1, T2, 'tnt_01JAAAAAAAAAAAAAAAAAAAAAA3'];

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.text += chunk.toString('utf8');
    cb();
  }
}

describe('tenant isolation', () => {
  it('queries and exports never return another tenant’s events (property)', async () => {
    const f = await fixture();
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.record({
              tenant: fc.constantFrom(...TENANTS),
              action: fc.constantFrom('role.assign', 'secret.read', 'user.login'),
              outcome: fc.constantFrom('success', 'failure', 'denied'),
              actor: fc.constantFrom('usr_a', 'usr_b'),
            }),
            { minLength: 1, maxLength: 25 },
          ),
          fc.constantFrom(...TENANTS),
          fc.record(
            {
              action: fc.constantFrom('role.assign', 'secret.read'),
              actionPrefix: fc.constantFrom('role.', 'secret', 'user.'),
              outcome: fc.constantFrom('success', 'failure', 'denied'),
              actorId: fc.constantFrom('usr_a', 'usr_b'),
            },
            { requiredKeys: [] },
          ),
          fc.integer({ min: 1, max: 7 }),
          async (events, asker, filter, limit) => {
            for (const e of events) {
              await f.log.append(ctxFor(e.tenant, e.actor), { action: e.action, outcome: e.outcome });
            }
            let cursor: string | undefined;
            const seen = new Set<number>();
            do {
              const page = await f.log.query({ tenantId: asker, ...filter, limit, cursor });
              for (const e of page.events) {
                expect(e.tenantId).toBe(asker);
                if (filter.action) expect(e.action).toBe(filter.action);
                if (filter.actionPrefix) expect(e.action.startsWith(filter.actionPrefix)).toBe(true);
                if (filter.outcome) expect(e.outcome).toBe(filter.outcome);
                if (filter.actorId) expect(e.actor.id).toBe(filter.actorId);
                expect(seen.has(e.seq)).toBe(false);
                seen.add(e.seq);
              }
              cursor = page.nextCursor ?? undefined;
            } while (cursor);
            const sink = new Sink();
            const manifest = await exportAudit(f.log, asker, sink, { format: 'jsonl' });
            const lines = sink.text.split('\n').filter(Boolean);
            expect(lines.length).toBe(manifest.count);
            for (const l of lines) expect(JSON.parse(l).event.tenantId).toBe(asker);
          },
        ),
        { numRuns: 60, seed: 99 },
      );
    } finally {
      await f.cleanup();
    }
  });

  it('requires a tenant unless a platform-level caller asks for all tenants', async () => {
    const f = await fixture();
    try {
      await f.log.append(ctxFor(T1), { action: 'user.login' });
      await f.log.append(ctxFor(T2), { action: 'user.login' });
      await expect(f.log.query({ limit: 10 })).rejects.toMatchObject({ code: 'VALIDATION' });
      const all = await f.log.query({ allTenants: true, limit: 1 });
      expect(all.events).toHaveLength(1);
      const next = await f.log.query({ allTenants: true, limit: 1, cursor: all.nextCursor! });
      expect(new Set([all.events[0]!.tenantId, next.events[0]!.tenantId])).toEqual(new Set([T1, T2]));
      // a tenant cursor cannot be replayed across tenants' scopes
      await expect(f.log.query({ tenantId: T1, limit: 1, cursor: all.nextCursor! })).rejects.toMatchObject({
        code: 'VALIDATION',
      });
    } finally {
      await f.cleanup();
    }
  });
});

describe('redaction before hashing', () => {
  it('keeps a marker secret under every sensitive key out of the database file, exports and logs', async () => {
    const MARKER = 'MARKER-5ecr3t-7f3a9c';
    const logs: string[] = [];
    const f = await fixture({
      redact: ['ssn', /x-internal-/i],
      logger: { debug: (obj, msg) => logs.push(JSON.stringify(obj) + (msg ?? '')) },
    });
    try {
      const keys = [
        'password',
        'secret',
        'token',
        'apiKey',
        'authorization',
        'cookie',
        'ssn',
        'x-internal-id',
      ];
      const variants = keys.flatMap((k) => [k, k.toUpperCase(), `user_${k}`, `${k}Hash`]);
      const metadata: Record<string, unknown> = { nested: { deeper: [{}] } };
      for (const k of variants) {
        metadata[k] = MARKER;
        (metadata.nested as Record<string, unknown>)[k] = { value: MARKER };
        ((metadata.nested as { deeper: Record<string, unknown>[] }).deeper[0] as Record<string, unknown>)[k] =
          [MARKER];
      }
      metadata.marked = secret(MARKER);
      metadata.list = [secret(MARKER), 'visible'];
      const e = await f.log.append(ctxFor(), { action: 'secret.create', metadata });
      expect(e.metadata.password).toBe('[REDACTED]');
      expect(e.metadata.marked).toBe('[REDACTED]');
      expect(e.metadata.list).toEqual(['[REDACTED]', 'visible']);
      await f.log.appendBatch(ctxFor(), [{ action: 'secret.read', metadata: { token: MARKER } }]);
      for (const format of ['jsonl', 'csv'] as const) {
        await exportAuditToFile(f.log, T1, join(f.dir, `out.${format}`), { format });
      }
      await f.store.close();
      const found: string[] = [];
      for (const name of readdirSync(f.dir)) {
        if (readFileSync(join(f.dir, name)).includes(MARKER)) found.push(name);
      }
      expect(found).toEqual([]);
      expect(readdirSync(f.dir).some((n) => n.endsWith('.csv'))).toBe(true);
      expect(logs.length).toBeGreaterThan(0);
      expect(logs.join('\n')).not.toContain(MARKER);
    } finally {
      await f.cleanup();
    }
  });
});
