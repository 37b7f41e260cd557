import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ax, axSpawn, tempDir } from './helpers.js';

// `ax exec` runs the @ax/guard pipeline end to end on SQLite, through the built CLI, as a user would.
const tmp = tempDir();
const cwd = tmp.dir;
// a real master key: the program must not see it
const MASTER_KEY = `base64:${Buffer.alloc(32, 7).toString('base64')}`;
const env = { AX_MASTER_KEY: MASTER_KEY };
const run = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) =>
  ax(args, { cwd, env: { ...env, ...extraEnv } });
const ok = (args: string[]) => {
  const r = run([...args, '--json']);
  if (r.code !== 0) throw new Error(`ax ${args.join(' ')}: ${r.code} ${r.stderr}`);
  return JSON.parse(r.stdout);
};

interface AuditRow {
  id: string;
  action: string;
  outcome: string;
  metadata: Record<string, unknown>;
}
const events = (tenant: string, action: string): AuditRow[] =>
  ok(['audit', 'query', '--tenant', tenant, '--action', action, '--limit', '1000']).events;
const used = (tenant: string, quota = 'executionsThisMonth'): number =>
  ok(['tenant', 'quota', tenant]).quotas.find((q: { quota: string }) => q.quota === quota).used;
const leases = (tenant: string): unknown[] => ok(['tenant', 'quota', tenant]).leases;
const endsOf = (tenant: string, runId: string) =>
  [...events(tenant, 'workflow.execute.completed'), ...events(tenant, 'workflow.execute.failed')].filter(
    (e) => e.metadata.runId === runId,
  );
const newTenant = (slug: string) => ok(['tenant', 'create', slug, '--slug', slug]).id as string;

// `node -e <script>` as the program: no shell anywhere
const node = (script: string) => ['--', process.execPath, '-e', script];

async function waitFor<T>(what: string, probe: () => T | undefined | false, limitMs = 30_000): Promise<T> {
  const until = Date.now() + limitMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
const exited = (child: ChildProcess) =>
  new Promise<{ code: number | null; stderr: string }>((resolve) => {
    let stderr = '';
    child.stderr?.on('data', (d) => {
      stderr += d;
    });
    child.stdout?.resume();
    child.on('close', (code) => resolve({ code, stderr }));
  });

beforeAll(() => {
  expect(run(['init']).code).toBe(0);
  ok(['security', 'user', 'create', 'dev@example.test', '--tenant', 'default', '--role', 'developer']);
  ok(['security', 'user', 'create', 'viewer@example.test', '--tenant', 'default', '--role', 'viewer']);
});
afterAll(() => tmp.remove());

describe('ax exec', () => {
  it('runs the program once: one consume, started and completed with one runId, the run ids in its env', () => {
    const before = used('default');
    const envFile = join(cwd, 'env.json');
    const r = run(
      [
        'exec',
        '--tenant',
        'default',
        '--as',
        'dev@example.test',
        '--quota',
        'executionsThisMonth=1',
        '--slot',
        '30s',
        '--json',
        ...node(
          `const e = process.env; require('fs').writeFileSync(${JSON.stringify(envFile)}, JSON.stringify({ t: e.AX_TENANT_ID, r: e.AX_RUN_ID, l: e.AX_LEASE_ID, k: e.AX_MASTER_KEY ?? null, s: e.AX_STORE ?? null, d: e.AX_DB ?? null })); console.log('from the program')`,
        ),
        // the store named by URL (which may carry a password) must not reach the program either
      ],
      { AX_STORE: `sqlite:${join(cwd, '.ax', 'ax.db')}`, AX_DB: join(cwd, '.ax', 'ax.db') },
    );
    expect(r.code, r.stderr).toBe(0);
    // stdout is one JSON document; the program's own stdout went to stderr
    const doc = JSON.parse(r.stdout);
    expect(r.stderr).toContain('from the program');
    expect(doc).toMatchObject({
      outcome: 'completed',
      exitCode: 0,
      consumed: [{ quota: 'executionsThisMonth', amount: 1, replayed: false }],
    });
    expect(used('default')).toBe(before + 1);

    const started = events('default', 'workflow.execute.started').filter((e) => e.id === doc.runId);
    expect(started).toHaveLength(1);
    const ends = endsOf('default', doc.runId);
    expect(ends.map((e) => e.action)).toEqual(['workflow.execute.completed']);

    const seen = JSON.parse(readFileSync(envFile, 'utf8'));
    expect(seen).toEqual({ t: doc.tenantId, r: doc.runId, l: doc.lease, k: null, s: null, d: null });
    expect(doc.lease).toMatch(/^lse_/);
    expect(leases('default')).toEqual([]);
  });

  it('a failing program records failed and mirrors its exit code; --refund-on-failure gives the usage back', () => {
    const t = newTenant('fails-co');
    const plain = run([
      'exec',
      '--tenant',
      t,
      '--quota',
      'executionsThisMonth=1',
      ...node('process.exit(3)'),
    ]);
    expect(plain.code).toBe(3);
    expect(plain.stderr).toMatch(/exited with code 3/);
    expect(used(t)).toBe(1);

    const refunded = run([
      'exec',
      '--tenant',
      t,
      '--quota',
      'executionsThisMonth=1',
      '--refund-on-failure',
      '--json',
      ...node('process.exit(5)'),
    ]);
    expect(refunded.code).toBe(5);
    const doc = JSON.parse(refunded.stdout);
    expect(doc).toMatchObject({ outcome: 'failed', exitCode: 5 });
    expect(used(t)).toBe(1); // the first run's usage only
    const ends = endsOf(t, doc.runId);
    expect(ends.map((e) => e.action)).toEqual(['workflow.execute.failed']);
    expect(ends[0]!.metadata.refunds).toEqual([{ quota: 'executionsThisMonth', amount: 1, refunded: true }]);
  });

  it('the same --idempotency-key twice consumes once', () => {
    const t = newTenant('idem-co');
    const args = [
      'exec',
      '--tenant',
      t,
      '--quota',
      'executionsThisMonth=2',
      '--idempotency-key',
      'job-7',
      '--json',
    ];
    const first = run([...args, ...node('')]);
    const second = run([...args, ...node('')]);
    expect([first.code, second.code]).toEqual([0, 0]);
    expect(JSON.parse(first.stdout).consumed[0].replayed).toBe(false);
    expect(JSON.parse(second.stdout).consumed[0].replayed).toBe(true);
    expect(used(t)).toBe(2);
  });

  it('a viewer is refused with FORBIDDEN: one denied event, nothing consumed, the program never runs', () => {
    const before = used('default');
    const deniedBefore = events('default', 'workflow.execute.denied').length;
    const marker = join(cwd, 'viewer-ran');
    const r = run([
      'exec',
      '--tenant',
      'default',
      '--as',
      'viewer@example.test',
      '--quota',
      'executionsThisMonth=1',
      '--slot',
      '30s',
      ...node(`require('fs').writeFileSync(${JSON.stringify(marker)}, '')`),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error \[FORBIDDEN\]/m);
    expect(existsSync(marker)).toBe(false);
    expect(events('default', 'workflow.execute.denied')).toHaveLength(deniedBefore + 1);
    expect(used('default')).toBe(before);
    expect(leases('default')).toEqual([]);
  });

  it('a suspended tenant answers TENANT_SUSPENDED with the reason', () => {
    const t = newTenant('suspended-co');
    ok(['tenant', 'suspend', t, '--reason', 'unpaid invoice']);
    const marker = join(cwd, 'suspended-ran');
    const r = run([
      'exec',
      '--tenant',
      t,
      '--quota',
      'executionsThisMonth=1',
      ...node(`require('fs').writeFileSync(${JSON.stringify(marker)}, '')`),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error \[TENANT_SUSPENDED\].*unpaid invoice/m);
    expect(existsSync(marker)).toBe(false);
    ok(['tenant', 'activate', t]);
    expect(used(t)).toBe(0);
    expect(events(t, 'workflow.execute.started')).toEqual([]);
    expect(events(t, 'workflow.execute.denied')).toHaveLength(1);
  });

  it('malformed options are usage errors (exit 2) and run nothing', () => {
    for (const bad of [
      ['--quota', 'executionsThisMonth'],
      ['--quota', 'executionsThisMonth=-1'],
      ['--quota', 'executionsThisMonth=0'],
      ['--slot', '30'],
      ['--slot', 'soon'],
      ['--permission', 'not a permission'],
    ]) {
      const r = run(['exec', '--tenant', 'default', ...bad, ...node('process.exit(9)')]);
      expect(r.code, `${bad.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/^error \[(VALIDATION|USAGE)\]/m);
    }
  });

  it('N concurrent runs on a concurrency limit of 2: exactly 2 run, the rest QUOTA_EXCEEDED, no lease left', async () => {
    const t = newTenant('busy-co'); // the free plan: concurrentExecutions 2
    const dir = join(cwd, 'busy');
    const release = join(cwd, 'busy-release');
    mkdirSync(dir);
    // each program that gets a slot says so, then waits for the test to let it go
    const script = `const fs = require('fs'); fs.writeFileSync(${JSON.stringify(dir)} + '/' + process.pid, ''); const t = setInterval(() => { if (fs.existsSync(${JSON.stringify(release)})) clearInterval(t); }, 20);`;
    const children = Array.from({ length: 8 }, () =>
      axSpawn(['exec', '--tenant', t, '--slot', '30s', ...node(script)], { cwd, env }),
    );
    const ends = children.map(exited);
    const results: ({ code: number | null; stderr: string } | null)[] = children.map(() => null);
    for (const [i, p] of ends.entries()) {
      void p.then((r) => {
        results[i] = r;
      });
    }
    // the refused end on their own while the two winners' programs wait
    await waitFor('6 refusals and 2 running programs', () => {
      const done = results.filter((r) => r !== null).length;
      return done >= 6 && readdirSync(dir).length >= 2;
    });
    expect(results.filter((r) => r !== null)).toHaveLength(6);
    expect(readdirSync(dir)).toHaveLength(2);
    expect(leases(t)).toHaveLength(2);
    writeFileSync(release, '');
    const all = await Promise.all(ends);
    const codes = all.map((r) => r.code).sort();
    expect(codes, all.map((r) => r.stderr).join('\n')).toEqual([0, 0, 1, 1, 1, 1, 1, 1]);
    for (const r of all.filter((r) => r.code === 1)) expect(r.stderr).toMatch(/^error \[QUOTA_EXCEEDED\]/m);
    expect(leases(t)).toEqual([]);
    expect(events(t, 'workflow.execute.denied')).toHaveLength(6);
    expect(events(t, 'workflow.execute.completed')).toHaveLength(2);
  });

  it('SIGKILL of ax while its program runs leaves a started run without an end, and the lease expires', async () => {
    const t = newTenant('crash-co');
    const marker = join(cwd, 'crash-marker');
    const script = `require('fs').writeFileSync(${JSON.stringify(marker)}, process.pid + ' ' + process.env.AX_RUN_ID); setInterval(() => {}, 1000);`;
    const axProcess = axSpawn(
      ['exec', '--tenant', t, '--quota', 'executionsThisMonth=1', '--slot', '2s', ...node(script)],
      { cwd, env },
    );
    // 'exit', not 'close': the orphaned program keeps ax's pipes open
    const end = new Promise((resolve) => axProcess.once('exit', resolve));
    const [pid, runId] = (
      await waitFor('the program to start', () => existsSync(marker) && readFileSync(marker, 'utf8'))
    ).split(' ');
    try {
      expect(leases(t)).toHaveLength(1); // held and renewed while ax lives
      axProcess.kill('SIGKILL');
      await end;
    } finally {
      process.kill(Number(pid), 'SIGKILL'); // the orphaned program
    }

    expect(events(t, 'workflow.execute.started').map((e) => e.id)).toEqual([runId]);
    expect(endsOf(t, runId!)).toEqual([]);
    expect(used(t)).toBe(1);
    await waitFor('the lease to expire', () => leases(t).length === 0);
  });

  it('a lost lease stops the program: SIGTERM, then SIGKILL after the grace period; the run is failed', async () => {
    const t = newTenant('lost-co');
    const dir = join(cwd, 'lost');
    mkdirSync(dir);
    // the program ignores SIGTERM (noting that it came), so only the SIGKILL after the grace period ends it
    const script = `const fs = require('fs'); process.on('SIGTERM', () => fs.writeFileSync(${JSON.stringify(dir)} + '/sigterm', '')); fs.writeFileSync(${JSON.stringify(dir)} + '/started', ''); setInterval(() => {}, 1000);`;
    const axProcess = axSpawn(['exec', '--tenant', t, '--slot', '3s', '--json', ...node(script)], {
      cwd,
      env,
    });
    const end = exited(axProcess);
    let stdout = '';
    axProcess.stdout?.on('data', (d) => {
      stdout += d;
    });
    await waitFor('the program to start', () => existsSync(join(dir, 'started')));
    // someone else takes the slot away: the next renewal fails
    const db = new Database(join(cwd, '.ax', 'ax.db'));
    try {
      expect(db.prepare('DELETE FROM ax_quota_leases WHERE tenant_id = ?').run(t).changes).toBe(1);
    } finally {
      db.close();
    }
    const { code } = await end;
    expect(code).toBe(137); // 128 + SIGKILL
    expect(existsSync(join(dir, 'sigterm'))).toBe(true);
    const doc = JSON.parse(stdout);
    expect(doc).toMatchObject({ outcome: 'failed', signal: 'SIGKILL', exitCode: 137, leaseLost: true });
    const ends = endsOf(t, doc.runId);
    expect(ends.map((e) => [e.action, e.metadata.code])).toEqual([['workflow.execute.failed', 'CONFLICT']]);
  });
});
