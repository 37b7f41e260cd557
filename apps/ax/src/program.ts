import { toAxError } from '@ax/core';
import { Command, CommanderError } from 'commander';
import { registerAudit } from './commands/audit.js';
import { registerInit } from './commands/init.js';
import { registerKeys } from './commands/keys.js';
import { registerMigrate } from './commands/migrate.js';
import { registerPolicy } from './commands/policy.js';
import { registerSecurity } from './commands/security.js';
import { registerSecret } from './commands/secret.js';
import { registerServe } from './commands/serve.js';
import { registerTenant } from './commands/tenant.js';
import { type CliEnv, type CommandContext, commandContext } from './context.js';
import { auditAsCommand } from './services/audit.js';
import { createAuditSink, runWithAuditSink } from './services/audit-wiring.js';
import { EXIT, ExitWith } from './exit-codes.js';

/** Wraps a command body: builds its context, closes what it opened, maps errors to exit codes. */
export type CommandAction = <A extends unknown[]>(
  body: (ctx: CommandContext, ...args: A) => Promise<void>,
) => (...args: A) => Promise<void>;

// Usage errors print as `error [USAGE]: …` like every other error, then commander's help hint.
function outputFor(env: CliEnv) {
  return {
    writeOut: (s: string) => env.stdout.write(s),
    writeErr: (s: string) => env.stderr.write(s),
    outputError: (s: string, write: (s: string) => void) => write(s.replace(/^error: /, 'error [USAGE]: ')),
  };
}

/** Builds the `ax` program. Areas register their commands here, one module each. */
export function buildProgram(env: CliEnv, setExitCode: (code: number) => void): Command {
  const program = new Command('ax')
    .description('@ax reference app: tenants, secrets, roles, quotas and audit on one database')
    .option('--db <path>', 'database file (default: AX_DB, else ./.ax/ax.db)')
    .option('--json', 'print one JSON document on stdout')
    .option('--as <user>', 'act as this user, with their permissions enforced and audited')
    .option('--debug', 'print stack traces')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput(outputFor(env));

  const action: CommandAction =
    (body) =>
    async (...args) => {
      const cmd = args[args.length - 1] as Command;
      const { ctx, finish } = commandContext(cmd, env);
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
        env.stderr.write(`error [${ax.code}]: ${ax.message}\n`);
        if (ctx.opts.debug && err instanceof Error && err.stack) env.stderr.write(`${err.stack}\n`);
        setExitCode(ax.code === 'VALIDATION' ? EXIT.usage : EXIT.error);
      } finally {
        await auditAsCommand(ctx, cmd, failure, sink);
        await finish();
      }
    };

  registerInit(program, action);
  registerMigrate(program, action);
  registerServe(program, action);
  registerAudit(program, action);
  registerSecurity(program, action);
  registerPolicy(program, action);
  registerSecret(program, action);
  registerKeys(program, action);
  registerTenant(program, action);
  // Commander only applies exitOverride/configureOutput to subcommands created after the call.
  for (const sub of program.commands) {
    sub.exitOverride().configureOutput(outputFor(env));
  }
  return program;
}

/** Runs the CLI with `argv` (without node and script) and resolves to the exit code. */
export async function runCli(argv: string[], env: CliEnv): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(env, (c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.ok;
      if (err.code === 'commander.help') return EXIT.ok;
      return EXIT.usage;
    }
    const ax = toAxError(err);
    env.stderr.write(`error [${ax.code}]: ${ax.message}\n`);
    return EXIT.error;
  }
  return code;
}
