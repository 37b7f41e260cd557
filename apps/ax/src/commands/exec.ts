import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import {
  type Actor,
  AxError,
  type ExecutionContext,
  isAxError,
  NotFoundError,
  parseInput,
  ValidationError,
} from '@ax/core';
import { type GuardSpec, guardSpecSchema } from '@ax/guard';
import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { ExitWith } from '../exit-codes.js';
import type { CommandAction } from '../program.js';

/** After SIGTERM, a child that has not exited gets SIGKILL after this long. */
export const KILL_GRACE_MS = 5_000;

/** Signals `ax exec` passes on to the program instead of dying with a `started` run and no end. */
const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Options of `ax exec` as commander hands them over. */
interface ExecOptions {
  tenant: string;
  permission: string;
  quota: string[];
  slot?: string;
  idempotencyKey?: string;
  refundOnFailure?: boolean;
}

/** How the program ended. */
interface ProgramEnd {
  /** The program's exit code, or 128 + the signal number when a signal ended it (as a shell reports it). */
  exitCode: number;
  /** The signal that ended it, if any. */
  signal: NodeJS.Signals | null;
}

/** The work failed: the program exited non-zero or was killed. Recorded as `<action>.failed`. */
export class ProgramFailedError extends AxError {
  constructor(readonly end: ProgramEnd) {
    // The audit reason carries this message: the exit, never the program's arguments (they may hold secrets).
    super(
      'INTERNAL',
      500,
      end.signal ? `the program was killed by ${end.signal}` : `the program exited with code ${end.exitCode}`,
      { details: { exitCode: end.exitCode, signal: end.signal } },
    );
  }
}

function invalid(option: string, message: string): ValidationError {
  return new ValidationError(`invalid ${option}: ${message}`, [{ path: [option], message, code: 'custom' }]);
}

const DURATION_UNITS_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** Parses a duration like `500ms`, `30s`, `5m` or `1h` into milliseconds; the unit is required. */
export function parseDuration(value: string, option: string): number {
  const m = /^(\d{1,9})(ms|s|m|h)$/.exec(value.trim());
  if (!m) throw invalid(option, `expected a duration like 30s, 500ms, 5m or 1h, got "${value}"`);
  return Number(m[1]) * DURATION_UNITS_MS[m[2]!]!;
}

/** Parses `--quota name=amount` (amount a positive integer). */
export function parseQuotaOption(value: string): { quota: string; amount: number } {
  const m = /^([^=\s]+)=(\d{1,15})$/.exec(value.trim());
  if (!m) throw invalid('--quota', `expected name=amount, e.g. executionsThisMonth=1, got "${value}"`);
  return { quota: m[1]!, amount: Number(m[2]) };
}

/**
 * The guard spec an `ax exec` command line asks for, validated with the guard's own schema before anything is
 * opened: a malformed option is a usage error (exit 2) that touches no store.
 */
export function execSpec(opts: ExecOptions): GuardSpec {
  const spec: GuardSpec = {
    permission: opts.permission,
    quotas: opts.quota.map(parseQuotaOption),
    ...(opts.slot === undefined ? {} : { concurrency: { ttlMs: parseDuration(opts.slot, '--slot') } }),
    ...(opts.idempotencyKey === undefined ? {} : { idempotencyKey: opts.idempotencyKey }),
    refundOnFailure: opts.refundOnFailure === true,
  };
  parseInput(guardSpecSchema, spec, 'ax exec options');
  return spec;
}

/** The program's environment: ours, with the run's ids, and never the master key or the store. */
export function programEnv(
  env: NodeJS.ProcessEnv,
  run: { tenantId: string; runId: string; leaseId: string | null },
): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env, AX_TENANT_ID: run.tenantId, AX_RUN_ID: run.runId };
  // nor the store: a postgres:// URL may carry a password, and the program is not the app
  for (const name of ['AX_MASTER_KEY', 'AX_STORE', 'AX_DB', 'AX_SQL_TRACE']) delete out[name];
  // an outer `ax exec`'s lease is not this run's
  delete out.AX_LEASE_ID;
  if (run.leaseId) out.AX_LEASE_ID = run.leaseId;
  return out;
}

/**
 * Spawns the program (no shell) and resolves when it ends. `signal` aborting (the lease could not be renewed)
 * sends SIGTERM, then SIGKILL after {@link KILL_GRACE_MS}. SIGINT, SIGTERM and SIGHUP sent to `ax` are passed
 * on, so the run ends as `failed` rather than `started` forever. Rejects when the program cannot be started.
 */
function runProgram(
  program: string,
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; cwd: string; signal: AbortSignal; stdoutToStderr: boolean },
): Promise<ProgramEnd> {
  return new Promise((resolve, reject) => {
    // `2`: the program's stdout goes to our stderr, so that our stdout stays one JSON document
    const child = spawn(program, [...args], {
      cwd: options.cwd,
      env: options.env,
      stdio: ['inherit', options.stdoutToStderr ? 2 : 'inherit', 'inherit'],
    });
    let killTimer: NodeJS.Timeout | undefined;
    const stop = () => {
      child.kill('SIGTERM');
      killTimer ??= setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    };
    const forward = (sig: NodeJS.Signals) => child.kill(sig);
    const cleanup = () => {
      clearTimeout(killTimer);
      options.signal.removeEventListener('abort', stop);
      for (const sig of FORWARDED_SIGNALS) process.off(sig, forward);
    };
    if (options.signal.aborted) stop();
    else options.signal.addEventListener('abort', stop, { once: true });
    for (const sig of FORWARDED_SIGNALS) process.on(sig, forward);
    child.once('error', (err: NodeJS.ErrnoException) => {
      cleanup();
      reject(
        err.code === 'ENOENT'
          ? new NotFoundError(`program not found: ${program}`)
          : new AxError('INTERNAL', 500, `could not start ${program}: ${err.code ?? err.message}`),
      );
    });
    child.once('exit', (code, sig) => {
      cleanup();
      const signo = sig ? (constants.signals[sig] ?? 0) : 0;
      resolve({ exitCode: sig ? 128 + signo : (code ?? 1), signal: sig });
    });
  });
}

async function execCommand(ctx: CommandContext, program: string, args: string[], opts: ExecOptions) {
  const spec = execSpec(opts);
  const tenant = await ctx.tenant(opts.tenant);
  // an `--as` run is audited (command.run) in this tenant, refused or not
  ctx.authorizedTenantId = tenant.id;
  const actor: Actor = await ctx.principal();
  const services = await ctx.services();
  const guard = await services.guard();
  const execCtx: ExecutionContext = { tenantId: tenant.id, actor, requestId: services.ids.next('request') };
  // steps 1–5; a refusal throws here (one `denied` event, nothing consumed) and takes the normal error path
  const run = await guard.begin(execCtx, spec);
  let end: ProgramEnd;
  try {
    end = await runProgram(program, args, {
      env: programEnv(ctx.env.env, { tenantId: tenant.id, runId: run.runId, leaseId: run.lease?.id ?? null }),
      cwd: ctx.env.cwd,
      signal: run.signal,
      stdoutToStderr: ctx.out.json,
    });
  } catch (err) {
    await run.fail(err);
    throw err;
  }
  // read before the end: ending the run aborts the signal too
  const leaseLost = run.signal.aborted;
  const ok = end.exitCode === 0 && end.signal === null;
  if (ok) await run.complete();
  else
    await run.fail(
      leaseLost && isAxError(run.signal.reason) ? run.signal.reason : new ProgramFailedError(end),
    );
  const doc = {
    runId: run.runId,
    tenantId: tenant.id,
    actor,
    permission: spec.permission,
    action: run.action,
    consumed: run.consumed,
    lease: run.lease?.id ?? null,
    outcome: ok ? 'completed' : 'failed',
    exitCode: end.exitCode,
    signal: end.signal,
    leaseLost,
  };
  if (ctx.out.json) ctx.out.result(doc, () => '');
  else if (!ok) {
    ctx.env.stderr.write(
      `ax exec: ${new ProgramFailedError(end).message}${leaseLost ? ' (its lease was lost)' : ''}; run ${run.runId} recorded as failed\n`,
    );
  }
  if (!ok) throw new ExitWith(end.exitCode);
}

/** `ax exec`: runs a program as one guarded unit of work (the @ax/guard pipeline). */
export function registerExec(program: Command, action: CommandAction): void {
  program
    .command('exec')
    .summary('run a program as a guarded unit of work (authorize, quotas, a concurrency slot, audit)')
    .description(
      [
        'Run a program as one guarded unit of work. The tenant must be active, the principal (--as, else the operator) must hold --permission and the rate limits must allow it; then, in one transaction, the --quota amounts are consumed, a concurrency slot is taken (--slot) and <permission>.started is recorded.',
        'The program runs without a shell (put -- before it), with AX_TENANT_ID, AX_RUN_ID and (with --slot) AX_LEASE_ID in its environment, and without AX_MASTER_KEY. If the slot cannot be renewed, the program gets SIGTERM, then SIGKILL. Exit 0 records .completed; anything else records .failed (giving the quotas back with --refund-on-failure) and ax exits with the program’s code (128 + the signal number when killed).',
        'A refusal consumes nothing, records one .denied event and exits 1 with error [CODE] (FORBIDDEN, TENANT_SUSPENDED, RATE_LIMITED, QUOTA_EXCEEDED); a malformed option exits 2.',
        'With --json, the program’s stdout goes to stderr, and stdout holds one JSON document printed after the program ends: runId, tenantId, consumed, lease, outcome, exitCode, signal.',
      ].join('\n\n'),
    )
    .argument('<program>', 'the program to run, after --')
    .argument('[args...]', 'its arguments')
    .requiredOption('--tenant <tenant>', 'tenant id or slug')
    .option(
      '--permission <permission>',
      'the permission the run needs (and its audit action)',
      'workflow.execute',
    )
    .option(
      '--quota <name=amount>',
      'consume this much of a counted quota at the start, e.g. executionsThisMonth=1 (repeatable)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option(
      '--slot <ttl>',
      'hold a concurrentExecutions slot while the program runs, renewed every ttl/3 (e.g. 30s, 500ms, 5m)',
    )
    .option('--idempotency-key <key>', 'runs with the same key consume the quotas once')
    .option('--refund-on-failure', 'give the consumed quotas back when the program fails')
    .addHelpText(
      'after',
      '\nExample:\n  ax exec --tenant acme --as dev@acme.test --quota executionsThisMonth=1 --slot 30s -- ./job.sh --fast',
    )
    .action(
      action((ctx, prog: string, args: string[], opts: ExecOptions) => execCommand(ctx, prog, args, opts)),
    );
}
