import { readFileSync } from 'node:fs';
import { toAxError } from '@ax/core';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { type CliEnv, type CommandContext, commandContext } from './context.js';
import { auditAsCommand } from './services/audit.js';
import { createAuditSink, runWithAuditSink } from './services/audit-sink.js';
import { EXIT, ExitWith } from './exit-codes.js';

/** Wraps a command body: builds its context, closes what it opened, maps errors to exit codes. */
export type CommandAction = <A extends unknown[]>(
  body: (ctx: CommandContext, ...args: A) => Promise<void>,
) => (...args: A) => Promise<void>;

/**
 * Prints an error on stderr: `error [CODE]: message`, or with `--json` one JSON object,
 * `{"error":{"code":…,"message":…}}`, so a script reading JSON never has to parse text. Never a secret: the
 * message is an AxError's.
 */
export function printError(env: CliEnv, json: boolean, code: string, message: string): void {
  env.stderr.write(
    json ? `${JSON.stringify({ error: { code, message } })}\n` : `error [${code}]: ${message}\n`,
  );
}

// Usage errors print like every other error (`error [USAGE]: …`, or JSON), then commander's help hint (text only).
function outputFor(env: CliEnv, json: boolean) {
  return {
    writeOut: (s: string) => env.stdout.write(s),
    writeErr: (s: string) => env.stderr.write(s),
    outputError: (s: string, write: (s: string) => void) => {
      if (json) printError(env, true, 'USAGE', s.replace(/^error: /, '').trim());
      else write(s.replace(/^error: /, 'error [USAGE]: '));
    },
  };
}

// `--as` names who the command runs as. Only its absence means the operator: an empty value (an unset shell
// variable in `--as "$USER_EMAIL"`) or a second `--as` is a usage error, never a silent run as the operator.
function parseAs(value: string, previous: string | undefined): string {
  if (previous !== undefined) throw new InvalidArgumentError('--as was given more than once');
  if (value.trim().length === 0) {
    throw new InvalidArgumentError(
      '--as needs a user id or e-mail (an empty value would run as the operator)',
    );
  }
  return value;
}

// The app's version, from its package.json: one folder up from dist/ (tsc's output), two from dist/bundle/.
function appVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'ax' && pkg.version) return pkg.version;
    } catch {}
  }
  return 'unknown';
}

type Register = (program: Command, action: CommandAction) => void;

// Each area's commands live in one module, loaded only when that area runs: `ax tenant list` never loads
// Fastify, pino, yaml or argon2. Help and unknown areas load every module.
const AREAS: Record<string, () => Promise<Register>> = {
  init: async () => (await import('./commands/init.js')).registerInit,
  migrate: async () => (await import('./commands/migrate.js')).registerMigrate,
  serve: async () => (await import('./commands/serve.js')).registerServe,
  audit: async () => (await import('./commands/audit.js')).registerAudit,
  security: async () => (await import('./commands/security.js')).registerSecurity,
  policy: async () => (await import('./commands/policy.js')).registerPolicy,
  secret: async () => (await import('./commands/secret.js')).registerSecret,
  keys: async () => (await import('./commands/keys.js')).registerKeys,
  tenant: async () => (await import('./commands/tenant.js')).registerTenant,
  exec: async () => (await import('./commands/exec.js')).registerExec,
  completion: async () => (await import('./commands/completion.js')).registerCompletion,
};

// Global options that take a value, so the area is found after them (`ax --db x.db tenant list`).
const VALUE_OPTIONS = new Set(['--store', '--db', '--as']);

/** The area a command line names (its first operand), or null when it names none we know. */
export function areaOf(argv: readonly string[]): string | null {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return null;
    if (a.startsWith('-')) {
      if (VALUE_OPTIONS.has(a)) i++;
      continue;
    }
    return Object.hasOwn(AREAS, a) ? a : null;
  }
  return null;
}

/** Loads the command modules `argv` needs: its area's, or all of them (help, unknown commands). */
export async function loadAreas(argv: readonly string[]): Promise<Register[]> {
  const area = areaOf(argv);
  const names = area ? [area] : Object.keys(AREAS);
  return Promise.all(names.map((n) => AREAS[n]!()));
}

/** Builds the `ax` program with the given areas' commands (see {@link loadAreas}). */
export function buildProgram(
  env: CliEnv,
  setExitCode: (code: number) => void,
  registrations: readonly Register[],
  options: { json?: boolean } = {},
): Command {
  const json = options.json === true;
  const program = new Command('ax')
    .description('@ax reference app: tenants, secrets, roles, quotas and audit on one database')
    .option('--store <ref>', 'store: a SQLite file, sqlite:<path> or postgres://… (default: AX_STORE)')
    .option('--db <path>', 'database file (default: AX_DB, else ./.ax/ax.db)')
    .option('--json', 'print one JSON document on stdout')
    .option('--as <user>', 'act as this user, with their permissions enforced and audited', parseAs)
    .option('--debug', 'print stack traces')
    .addHelpText('after', '\n`ax --version` (or -V) prints the version.')
    .showHelpAfterError(!json)
    .exitOverride()
    .configureOutput(outputFor(env, json));

  const action: CommandAction =
    (body) =>
    async (...args) => {
      const cmd = args[args.length - 1] as Command;
      let built: ReturnType<typeof commandContext>;
      try {
        built = commandContext(cmd, env);
      } catch (err) {
        const ax = toAxError(err);
        printError(env, json, ax.code, ax.message);
        setExitCode(ax.code === 'VALIDATION' ? EXIT.usage : EXIT.error);
        return;
      }
      const { ctx, finish } = built;
      const sink = createAuditSink(); // this run's audit writes, flushed before its store closes
      let failure: unknown = null;
      try {
        await runWithAuditSink(sink, () => body(ctx, ...(args as never)));
      } catch (err) {
        failure = err;
        if (err instanceof ExitWith) {
          setExitCode(err.exitCode);
          return;
        }
        const ax = toAxError(err);
        printError(env, Boolean(ctx.opts.json), ax.code, ax.message);
        if (ctx.opts.debug && err instanceof Error && err.stack) env.stderr.write(`${err.stack}\n`);
        setExitCode(ax.code === 'VALIDATION' ? EXIT.usage : EXIT.error);
      } finally {
        await auditAsCommand(ctx, cmd, failure, sink);
        await finish();
      }
    };

  for (const register of registrations) register(program, action);
  // Commander only applies exitOverride/configureOutput to subcommands created after the call.
  for (const sub of program.commands) {
    sub.exitOverride().configureOutput(outputFor(env, json));
  }
  return program;
}

/** Runs the CLI with `argv` (without node and script) and resolves to the exit code. */
export async function runCli(argv: string[], env: CliEnv): Promise<number> {
  // Only as the whole command line: `secret get k --version 2` is that command's own option.
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    env.stdout.write(`${appVersion()}\n`);
    return EXIT.ok;
  }
  // --json is a flag: its presence before `--` is what commander will parse, known before it parses
  const end = argv.indexOf('--');
  const json = (end === -1 ? argv : argv.slice(0, end)).includes('--json');
  let code: number = EXIT.ok;
  const program = buildProgram(
    env,
    (c) => {
      code = c;
    },
    await loadAreas(argv),
    { json },
  );
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.ok;
      if (err.code === 'commander.help') return EXIT.ok;
      return EXIT.usage;
    }
    const ax = toAxError(err);
    printError(env, json, ax.code, ax.message);
    return EXIT.error;
  }
  return code;
}
