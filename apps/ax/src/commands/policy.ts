import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ValidationError } from '@ax/core';
import { PermissionCatalog, runPolicyTests } from '@ax/rbac';
import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { decodeUtf8 } from '../utf8.js';
import { parse } from 'yaml';
import { EXIT, ExitWith } from '../exit-codes.js';
import type { CommandAction } from '../program.js';

/**
 * Reads a text file the user names (a policy YAML, a rules JSON) as strict UTF-8: bytes that are not UTF-8 are
 * a VALIDATION error naming the file, never decoded to U+FFFD and parsed as something else.
 */
export function readUtf8File(ctx: CommandContext, file: string, label = file): string {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(resolve(ctx.env.cwd, file));
  } catch (err) {
    throw new ValidationError(`${label}: ${(err as Error).message}`);
  }
  const text = decodeUtf8(bytes);
  if (text === undefined) throw new ValidationError(`${label}: not valid UTF-8 text`);
  return text;
}

/** `ax policy test <file.yaml>`: run a policy test matrix (roles × principals × resources × actions). */
export function registerPolicy(program: Command, action: CommandAction): void {
  const policy = program.command('policy').description('policy tests');
  policy
    .command('test <file>')
    .description('run a YAML policy test file; exit 3 on any mismatch, with the explanation')
    .action(
      action(async (ctx, file: string) => {
        // Pure: evaluates the roles in the file, reads and writes no tenant data, so --as changes nothing.
        const text = readUtf8File(ctx, file);
        let spec: unknown;
        try {
          spec = parse(text, { maxAliasCount: 100 });
        } catch (err) {
          throw new ValidationError(`${file}: ${(err as Error).message}`);
        }
        const report = runPolicyTests(spec, PermissionCatalog.builtin());
        ctx.out.result(report, () => {
          const lines = report.cases
            .filter((c) => !c.ok)
            .map(
              (c) =>
                `FAIL  ${c.test}: ${c.principal} ${c.action} ${c.resource}: expected ${c.expected}, got ${c.actual}\n` +
                `      rule ${c.decision.rule ? JSON.stringify(c.decision.rule) : '(none)'}; role ${c.decision.role ?? '-'}; ${c.decision.reason}`,
            );
          lines.push(
            `${report.failed === 0 ? 'ok' : 'FAILED'}  ${report.name ?? file}: ${report.passed} passed, ${report.failed} failed`,
          );
          return lines.join('\n');
        });
        if (report.failed > 0) throw new ExitWith(EXIT.no);
      }),
    );
}
