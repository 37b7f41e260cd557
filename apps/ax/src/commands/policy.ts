import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ValidationError } from '@ax/core';
import { PermissionCatalog, runPolicyTests } from '@ax/rbac';
import type { Command } from 'commander';
import { parse } from 'yaml';
import { EXIT, ExitWith } from '../exit-codes.js';
import type { CommandAction } from '../program.js';

/** `ax policy test <file.yaml>`: run a policy test matrix (roles × principals × resources × actions). */
export function registerPolicy(program: Command, action: CommandAction): void {
  const policy = program.command('policy').description('policy tests');
  policy
    .command('test <file>')
    .description('run a YAML policy test file; exit 3 on any mismatch, with the explanation')
    .action(
      action(async (ctx, file: string) => {
        // Pure: evaluates the roles in the file, reads and writes no tenant data, so --as changes nothing.
        let spec: unknown;
        try {
          spec = parse(readFileSync(resolve(ctx.env.cwd, file), 'utf8'), { maxAliasCount: 100 });
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
