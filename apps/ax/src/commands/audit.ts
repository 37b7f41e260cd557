import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  applyRetention,
  type AuditEvent,
  complianceMarkdown,
  complianceReport,
  exportAuditToFile,
  manifestPathFor,
  publishedCheckpointSchema,
  setRetentionPolicy,
  verifyExport,
} from '@ax/audit';
import { exportManifestSchema } from '@ax/audit';
import { NotFoundError, parseInput, ValidationError } from '@ax/core';
import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { EXIT, ExitWith } from '../exit-codes.js';
import { table } from '../output.js';
import type { CommandAction } from '../program.js';
import { auditService } from '../services/audit.js';
import { storeExists } from '../store-ref.js';
import { type ChainOptions, chainOf, execContext, slugsOf, usage, verifyAll } from './audit-chains.js';

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `2026-01-31`, an ISO timestamp, epoch milliseconds, or a relative `30m` / `12h` / `7d` (ago). */
export function parseTime(value: string, flag: string, now = Date.now()): number {
  const rel = /^(\d+)([mhd])$/.exec(value);
  if (rel) return now - Number(rel[1]) * UNITS[rel[2]!]!;
  if (/^\d{10,}$/.test(value)) return Number(value);
  const t = Date.parse(value);
  if (Number.isNaN(t)) {
    throw new ValidationError(`invalid ${flag}: expected a date, an ISO time or e.g. 7d`, [
      { path: [flag], message: 'not a time', code: 'custom' },
    ]);
  }
  return t;
}

function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new ValidationError(`invalid ${flag}: expected a positive integer`, [
      { path: [flag], message: 'not a positive integer', code: 'custom' },
    ]);
  }
  return n;
}

function readJsonFile(path: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ValidationError(`cannot read ${what} ${path}: ${(err as Error).message}`, [
      { path: [what], message: 'unreadable', code: 'custom' },
    ]);
  }
}

function progressBar(ctx: CommandContext): ((done: number, total: number) => void) | undefined {
  const err = ctx.env.stderr as NodeJS.WriteStream;
  if (!err.isTTY || ctx.out.json) return undefined;
  return (done, total) => {
    const width = 30;
    const frac = total === 0 ? 1 : Math.min(1, done / total);
    const fill = Math.round(frac * width);
    err.write(`\r[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${done}/${total} events`);
    if (done >= total) err.write('\n');
  };
}

const eventRow = (e: AuditEvent) => ({
  seq: e.seq,
  time: new Date(e.timestamp).toISOString(),
  actor: `${e.actor.type}:${e.actor.id}`,
  action: e.action,
  resource: e.resource,
  outcome: e.outcome,
});

/** `ax audit …`: query, export, verify, verify-export, checkpoint, compliance, prune. */
export function registerAudit(program: Command, action: CommandAction): void {
  const audit = program.command('audit').description('the tamper-evident audit log');

  audit
    .command('query')
    .description('list events, newest first, of one chain (--tenant or --platform) or of all (--all-tenants)')
    .option('--tenant <tenant>', 'tenant id or slug')
    .option('--platform', 'the installation-wide chain (platform operator or super-admin)')
    .option('--all-tenants', 'every tenant, with a tenant column (platform operator or super-admin)')
    .option('--actor <id>', 'actor id')
    .option('--action <action>', 'action, or a prefix ending in "." or "*" (e.g. role.*)')
    .option('--outcome <outcome>', 'success | failure | denied')
    .option('--resource <resource>', 'resource')
    .option('--since <time>', 'from (date, ISO time, or e.g. 7d)')
    .option('--until <time>', 'until, exclusive')
    .option('--limit <n>', 'page size (default 50, max 1000)')
    .option('--cursor <cursor>', 'continue from a previous page')
    .action(
      action(async (ctx, o: Record<string, string | boolean | undefined>) => {
        const log = await auditService(ctx);
        const allTenants = o.allTenants === true;
        const named = [o.tenant !== undefined, o.platform === true, allTenants].filter(Boolean).length;
        if (named !== 1) throw usage('give one of --tenant <tenant>, --platform or --all-tenants', 'tenant');
        let tenantId: string | undefined;
        if (allTenants) await ctx.authorizePlatform('audit.read');
        else
          ({ tenantId } = await chainOf(
            ctx,
            { tenant: o.tenant as string, platform: o.platform === true },
            'audit.read',
          ));
        const act = o.action as string | undefined;
        const prefix = act && (act.endsWith('*') || act.endsWith('.')) ? act.replace(/\*$/, '') : undefined;
        const page = await log.query({
          tenantId,
          allTenants,
          actorId: o.actor as string | undefined,
          action: prefix ? undefined : act,
          actionPrefix: prefix,
          outcome: o.outcome as 'success' | undefined,
          resource: o.resource as string | undefined,
          since: o.since ? parseTime(String(o.since), 'since') : undefined,
          until: o.until ? parseTime(String(o.until), 'until') : undefined,
          limit: o.limit ? positiveInt(String(o.limit), 'limit') : 50,
          cursor: o.cursor as string | undefined,
        });
        const slugs = allTenants ? await slugsOf(ctx, page.events) : null;
        ctx.out.result(page, () =>
          [
            table(
              page.events.map((e) =>
                slugs ? { tenant: slugs.get(e.tenantId), ...eventRow(e) } : eventRow(e),
              ),
            ),
            ...(page.nextCursor ? [`more: --cursor ${page.nextCursor}`] : []),
          ].join('\n'),
        );
      }),
    );

  audit
    .command('export')
    .description('stream events to JSONL or CSV with a signed manifest (<out>.manifest.json)')
    .option('--tenant <tenant>', 'tenant id or slug')
    .option('--platform', 'the installation-wide chain')
    .requiredOption('--out <file>', 'output file')
    .option('--format <format>', 'jsonl | csv', 'jsonl')
    .option('--from <seq>', 'first seq')
    .option('--to <seq>', 'last seq')
    .action(
      action(async (ctx, o: ChainOptions & { out: string; format: string; from?: string; to?: string }) => {
        const log = await auditService(ctx);
        const { tenantId, exec: exportCtx } = await chainOf(ctx, o, 'audit.export');
        if (o.format !== 'jsonl' && o.format !== 'csv') {
          throw new ValidationError('invalid --format: expected jsonl or csv', [
            { path: ['format'], message: 'jsonl | csv', code: 'custom' },
          ]);
        }
        const file = resolve(ctx.env.cwd, o.out);
        const manifest = await exportAuditToFile(log, tenantId, file, {
          format: o.format,
          from: o.from ? positiveInt(o.from, 'from') : undefined,
          to: o.to ? positiveInt(o.to, 'to') : undefined,
          onProgress: progressBar(ctx),
          ctx: exportCtx,
        });
        ctx.out.result({ file, manifestFile: manifestPathFor(file), manifest }, () =>
          [
            `exported ${manifest.count} events (seq ${manifest.fromSeq}..${manifest.toSeq}) to ${file}`,
            `manifest ${manifestPathFor(file)} (sha256 ${manifest.sha256.slice(0, 16)}…)`,
          ].join('\n'),
        );
      }),
    );

  audit
    .command('verify')
    .description(
      'verify the chain: hashes, links, signatures; with --checkpoint, that no tail was cut (exit 3 if broken)',
    )
    .option('--tenant <tenant>', 'tenant id or slug')
    .option('--platform', 'the installation-wide chain')
    .option('--all', 'every chain: each tenant’s and the installation-wide one, one row each')
    .option('--checkpoint <file>', 'a checkpoint file from `ax audit checkpoint --out`')
    .option('--from <seq>', 'first seq')
    .option('--to <seq>', 'last seq')
    .action(
      action(
        async (ctx, o: ChainOptions & { all?: boolean; checkpoint?: string; from?: string; to?: string }) => {
          if (o.all) {
            if (o.tenant !== undefined || o.platform || o.checkpoint || o.from || o.to) {
              throw usage(
                '--all verifies every chain whole: no --tenant, --platform, --checkpoint, --from or --to',
                'all',
              );
            }
            return verifyAll(ctx);
          }
          const log = await auditService(ctx);
          const { tenantId, exec: verifyCtx } = await chainOf(ctx, o, 'audit.verify');
          const checkpoint = o.checkpoint
            ? parseInput(
                publishedCheckpointSchema,
                readJsonFile(resolve(ctx.env.cwd, o.checkpoint), 'checkpoint'),
                'checkpoint file',
              )
            : undefined;
          const result = await log.verify(tenantId, {
            checkpoint,
            from: o.from ? positiveInt(o.from, 'from') : undefined,
            to: o.to ? positiveInt(o.to, 'to') : undefined,
          });
          await log.append(verifyCtx, {
            action: 'audit.verify',
            outcome: result.ok ? 'success' : 'failure',
            resource: tenantId,
            resourceType: 'audit-log',
            reason: result.ok ? null : `${result.kind} at seq ${result.seq}`,
            metadata: { count: result.count, checkpoint: checkpoint ? checkpoint.seq : null },
          });
          ctx.out.result(result, () =>
            result.ok
              ? `ok: ${result.count} events verified (seq ${result.fromSeq}..${result.toSeq}), head ${result.headHash.slice(0, 16)}…`
              : `FAILED: seq ${result.seq} ${result.kind}: ${result.message} (${result.count} events verified before it)`,
          );
          if (!result.ok) throw new ExitWith(EXIT.no);
        },
      ),
    );

  audit
    .command('verify-export <file>')
    .description('verify an export offline against its manifest (exit 3 if it does not verify)')
    .option('--manifest <file>', 'manifest file (default <file>.manifest.json)')
    .action(
      action(async (ctx, file: string, o: { manifest?: string }) => {
        // the manifest and the events are signed with an HMAC under the installation's key: without its
        // database (and AX_MASTER_KEY) there is nothing to check them with, and no database may be created here
        if (!storeExists(ctx.storeRef)) {
          throw new NotFoundError(
            `no database at ${ctx.dbPath}: verify-export checks the export's signatures with the installation's key, so run it where the installation's database and AX_MASTER_KEY are (verifying with a public key alone is not available yet)`,
          );
        }
        const log = await auditService(ctx);
        const path = resolve(ctx.env.cwd, file);
        const manifestPath = o.manifest ? resolve(ctx.env.cwd, o.manifest) : manifestPathFor(path);
        const manifest = parseInput(
          exportManifestSchema,
          readJsonFile(manifestPath, 'manifest'),
          'manifest file',
        );
        const result = await verifyExport(path, manifest, log.signer);
        ctx.out.result(result, () =>
          result.ok
            ? `ok: ${result.count} events (seq ${result.fromSeq}..${result.toSeq}) match the signed manifest`
            : `FAILED: ${result.kind}${result.seq === null ? '' : ` at seq ${result.seq}`}${result.line === null ? '' : ` (line ${result.line})`}: ${result.message}`,
        );
        if (!result.ok) throw new ExitWith(EXIT.no);
      }),
    );

  audit
    .command('checkpoint')
    .description('sign the chain head; write it to --out (keep it outside the database) or stdout')
    .option('--tenant <tenant>', 'tenant id or slug')
    .option('--platform', 'the installation-wide chain')
    .option('--out <file>', 'write the checkpoint JSON here')
    .action(
      action(async (ctx, o: ChainOptions & { out?: string }) => {
        const log = await auditService(ctx);
        const { tenantId } = await chainOf(ctx, o, 'audit.verify');
        const cp = await log.checkpoint(tenantId);
        if (o.out) writeFileSync(resolve(ctx.env.cwd, o.out), `${JSON.stringify(cp, null, 2)}\n`);
        ctx.out.result(cp, () =>
          o.out ? `checkpoint seq ${cp.seq} written to ${o.out}` : JSON.stringify(cp, null, 2),
        );
      }),
    );

  audit
    .command('compliance')
    .description('compliance report: counts, denied and privileged actions, top actors, chain status')
    .requiredOption('--tenant <tenant>', 'tenant id or slug')
    .option('--since <time>', 'from (default 30d)', '30d')
    .option('--until <time>', 'until, exclusive (default now)')
    .option('--format <format>', 'md | json (default md; --json implies json)', 'md')
    .action(
      action(async (ctx, o: { tenant: string; since: string; until?: string; format: string }) => {
        const log = await auditService(ctx);
        const tenant = await ctx.tenant(o.tenant);
        await execContext(ctx, tenant.id, 'audit.read');
        const now = Date.now();
        const report = await complianceReport(log, {
          tenantId: tenant.id,
          from: parseTime(o.since, 'since', now),
          to: o.until ? parseTime(o.until, 'until', now) : now + 1,
        });
        if (o.format === 'json' && !ctx.out.json) {
          ctx.out.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        } else {
          ctx.out.result(report, () => complianceMarkdown(report));
        }
        if (!report.chain.ok) throw new ExitWith(EXIT.no);
      }),
    );

  audit
    .command('prune')
    .description(
      'apply the retention policy: archive old events to a verified export, prune, leave an anchor',
    )
    .requiredOption('--tenant <tenant>', 'tenant id or slug')
    .option('--days <n>', 'set the tenant’s retention policy to n days first')
    .option('--archive-dir <dir>', 'where archives go (default: audit-archive next to the database)')
    .action(
      action(async (ctx, o: { tenant: string; days?: string; archiveDir?: string }) => {
        const log = await auditService(ctx);
        const tenant = await ctx.tenant(o.tenant);
        const pruneCtx = await execContext(ctx, tenant.id, 'admin.manage');
        if (o.days) await setRetentionPolicy(log, tenant.id, positiveInt(o.days, 'days'));
        const archiveDir = o.archiveDir
          ? resolve(ctx.env.cwd, o.archiveDir)
          : join(dirname(ctx.dbPath), 'audit-archive');
        const r = await applyRetention(log, {
          tenantId: tenant.id,
          archiveDir,
          ctx: pruneCtx,
        });
        ctx.out.result(r, () =>
          r.pruned === 0
            ? `nothing older than ${r.days} days to prune`
            : `archived seq ${r.archive?.manifest.fromSeq}..${r.anchor?.seq} to ${r.archive?.file}, verified, pruned ${r.pruned} events; anchor at seq ${r.anchor?.seq}`,
        );
      }),
    );
}
