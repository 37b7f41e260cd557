import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { AxError } from '@ax/core';
import { afterEach, describe, expect, it } from 'vitest';
import { ACTION, type Harness, harness } from './helpers.js';

const child = fileURLToPath(new URL('./fixtures/crash-child.ts', import.meta.url));
let h: Harness;
afterEach(async () => {
  await h?.cleanup();
});

describe('a process SIGKILLed inside fn', () => {
  it('leaves a started event without an end and a consumption; its lease expires and the slot is taken again', async () => {
    h = await harness({ plan: 'free' });
    await h.tenancy.quotas.setOverride(h.system, { quota: 'concurrentExecutions', limit: 1 });
    const ttlMs = 5_000;
    const spec = {
      permission: ACTION,
      quotas: [{ quota: 'executionsThisMonth', amount: 3 }],
      concurrency: { ttlMs },
    };
    const p = spawn(
      process.execPath,
      ['--import', 'tsx', child, JSON.stringify({ file: h.file, ctx: h.dev, spec, now: h.clock.now() })],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    p.stdout!.setEncoding('utf8');
    p.stdout!.on('data', (d: string) => {
      out += d;
      if (out.includes('inside\n')) p.kill('SIGKILL');
    });
    const [code, signal] = await once(p, 'exit');
    expect([code, signal]).toEqual([null, 'SIGKILL']);

    const events = h.events();
    expect(events.map((e) => e.action)).toEqual([`${ACTION}.started`]);
    expect(h.used('executionsThisMonth')).toBe(3);
    // The dead holder's slot is still taken until its TTL runs out...
    const refused = await h.guard
      .run(h.dev, { permission: ACTION, concurrency: { ttlMs } }, () => 1)
      .catch((e) => e);
    expect(refused).toBeInstanceOf(AxError);
    expect((refused as AxError).code).toBe('QUOTA_EXCEEDED');
    // ...then it is reclaimed.
    h.clock.advance(ttlMs + 1);
    expect(await h.guard.run(h.dev, { permission: ACTION, concurrency: { ttlMs } }, () => 'ran')).toBe('ran');
    expect(h.leaseRows()).toBe(0);
  });
});
