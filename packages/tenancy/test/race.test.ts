import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import { QuotaExceededError } from '@ax/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { METERED } from './fixtures/metered.js';
import { at, type Env, makeEnv, quotaRow, OPERATOR } from './helpers.js';

const fixture = join(import.meta.dirname, 'fixtures', 'consumer.ts');
const threadBoot = join(import.meta.dirname, 'fixtures', 'thread-boot.mjs');
const START = Date.UTC(2026, 0, 15, 12);

interface Report {
  type: string;
  ok?: number;
  exceeded?: number;
  replayed?: number;
  errors?: string[];
  thresholds?: number[];
  leases?: { id: string; expiresAt: number }[];
}

// One racer: a child process (node --import tsx) or a worker thread; `onMessage` gets every report.
function racer(kind: 'process' | 'thread', job: object, onMessage: (m: Report) => void) {
  if (kind === 'thread') {
    const w = new Worker(threadBoot, { workerData: { ...job, entry: pathToFileURL(fixture).href } });
    w.on('message', onMessage);
    return {
      done: new Promise<void>((resolve, reject) => {
        w.on('error', reject);
        w.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited ${code}`))));
      }),
      kill: () => w.terminate(),
    };
  }
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', fixture, JSON.stringify(job)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  createInterface({ input: child.stdout! }).on('line', (line) => onMessage(JSON.parse(line)));
  return {
    done: new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code, signal) =>
        code === 0 ? resolve() : reject(new Error(`child exited ${code ?? signal}`)),
      );
    }),
    kill: () => child.kill('SIGKILL'),
    child,
  };
}

async function race(
  env: Env,
  tenantId: string,
  mode: 'consume' | 'idempotent' | 'soft',
  perRacer: number,
  quota = 'executionsThisMonth',
) {
  const go = join(env.file, '..', `go-${mode}`);
  const kinds = ['process', 'thread', 'process', 'thread', 'process', 'thread', 'process', 'thread'] as const;
  const reports: Report[] = [];
  let ready = 0;
  let allReady!: () => void;
  const readyP = new Promise<void>((r) => {
    allReady = r;
  });
  const racers = kinds.map((kind) =>
    racer(kind, { file: env.file, tenantId, quota, times: perRacer, mode, now: START, go }, (m) => {
      if (m.type === 'ready' && ++ready === kinds.length) allReady();
      if (m.type === 'done') reports.push(m);
    }),
  );
  // a racer that dies before it is ready fails the test instead of hanging it
  await Promise.race([
    readyP,
    Promise.all(racers.map((r) => r.done)).then(() => Promise.reject(new Error('racers ended early'))),
  ]);
  writeFileSync(go, ''); // everyone starts at once
  await Promise.all(racers.map((r) => r.done));
  return reports;
}

let env: Env;
beforeEach(async () => {
  env = await makeEnv({ start: START });
});
afterEach(() => env.cleanup());

describe('concurrent consumers on one SQLite file', () => {
  it('4 processes and 4 worker threads, 2,000 consumes for a limit of 1,000: exactly 1,000 succeed, no SQLITE_BUSY', async () => {
    const { tenants, quotas } = env.tenancy;
    const t = await tenants.create(OPERATOR, { name: 'Race', slug: 'race' });
    await quotas.setOverride(at(t.id), { quota: 'executionsThisMonth', limit: 1000 });
    const reports = await race(env, t.id, 'consume', 250);
    expect(reports).toHaveLength(8);
    expect(reports.flatMap((r) => r.errors)).toEqual([]);
    expect(reports.reduce((n, r) => n + r.ok!, 0)).toBe(1000);
    expect(reports.reduce((n, r) => n + r.exceeded!, 0)).toBe(1000);
    expect(quotaRow(env.raw, t.id, 'executionsThisMonth')?.used).toBe(1000);
  }, 120_000);

  it('one idempotency key retried concurrently from 8 racers consumes once', async () => {
    const { tenants } = env.tenancy;
    const t = await tenants.create(OPERATOR, { name: 'Race', slug: 'race' });
    const reports = await race(env, t.id, 'idempotent', 25);
    expect(reports.flatMap((r) => r.errors)).toEqual([]);
    expect(reports.reduce((n, r) => n + r.ok!, 0)).toBe(1);
    expect(reports.reduce((n, r) => n + r.replayed!, 0)).toBe(199);
    expect(quotaRow(env.raw, t.id, 'executionsThisMonth')?.used).toBe(1);
  }, 120_000);
});

describe('soft-limit thresholds across processes', () => {
  it('8 racers push a soft quota to 200%: each threshold is announced exactly once, by one of them', async () => {
    const { tenants } = env.tenancy;
    env.tenancy.plans.definePlan(METERED);
    const t = await tenants.create(OPERATOR, { name: 'Race', slug: 'race' });
    await tenants.changePlan(at(t.id), { plan: 'metered' });
    const reports = await race(env, t.id, 'soft', 25, 'apiCallsThisMonth');
    expect(reports.flatMap((r) => r.errors)).toEqual([]);
    expect(reports.reduce((n, r) => n + r.ok!, 0)).toBe(200);
    expect(reports.flatMap((r) => r.thresholds!).sort()).toEqual([100, 120, 80]);
    expect(
      env.raw.prepare('SELECT threshold FROM ax_quota_thresholds WHERE tenant_id = ? ORDER BY 1').all(t.id),
    ).toEqual([{ threshold: 80 }, { threshold: 100 }, { threshold: 120 }]);
  }, 120_000);
});

describe('a crashed lease holder', () => {
  it('a SIGKILLed child’s slots hold the limit until their TTL, then come back', async () => {
    const { tenants, quotas } = env.tenancy;
    const t = await tenants.create(OPERATOR, { name: 'Crash', slug: 'crash' }); // free: 2 concurrent
    let held!: (leases: NonNullable<Report['leases']>) => void;
    const heldP = new Promise<NonNullable<Report['leases']>>((r) => {
      held = r;
    });
    const holder = racer(
      'process',
      {
        file: env.file,
        tenantId: t.id,
        quota: 'concurrentExecutions',
        times: 2,
        mode: 'hold',
        now: START,
        ttlMs: 30_000,
        go: '',
      },
      (m) => {
        if (m.type === 'held') held(m.leases!);
      },
    );
    const leases = await heldP;
    holder.kill();
    await holder.done.catch(() => undefined);
    expect(leases).toHaveLength(2);
    // before the TTL: the dead holder's slots still count
    env.clock.set(START + 29_999);
    await expect(quotas.acquireSlot(at(t.id), { ttlMs: 1000 })).rejects.toBeInstanceOf(QuotaExceededError);
    expect((await quotas.usage(at(t.id))).leases.map((l) => l.id)).toEqual(leases.map((l) => l.id));
    // at the TTL: reclaimed on the next acquire
    env.clock.set(START + 30_000);
    const a = await quotas.acquireSlot(at(t.id), { ttlMs: 1000 });
    const b = await quotas.acquireSlot(at(t.id), { ttlMs: 1000 });
    await expect(quotas.acquireSlot(at(t.id), { ttlMs: 1000 })).rejects.toBeInstanceOf(QuotaExceededError);
    expect((await quotas.usage(at(t.id))).leases.map((l) => l.id)).toEqual([a.id, b.id]);
    expect(
      env.raw.prepare('SELECT id FROM ax_quota_leases WHERE tenant_id = ? ORDER BY id').all(t.id),
    ).toEqual([{ id: a.id }, { id: b.id }]);
  }, 60_000);
});
