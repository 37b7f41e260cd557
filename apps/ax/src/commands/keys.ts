import type { RewrapProgress } from '@ax/secrets';
import { type Command, InvalidArgumentError } from 'commander';
import type { CommandContext } from '../context.js';
import { EXIT, ExitWith } from '../exit-codes.js';
import { table } from '../output.js';
import type { CommandAction } from '../program.js';
import { secretServices } from '../services/secrets.js';

function positiveInt(value: string): number {
  if (!/^[1-9]\d{0,5}$/.test(value)) throw new InvalidArgumentError('expected a positive integer');
  return Number(value);
}

/** A one-line progress bar on a terminal's stderr; nothing when piped or with --json. */
function progressBar(ctx: CommandContext): { update(p: RewrapProgress): void; end(): void } {
  const err = ctx.out.stderr as NodeJS.WritableStream & { isTTY?: boolean };
  if (ctx.out.json || !err.isTTY) return { update() {}, end() {} };
  const width = 30;
  let drawn = false;
  return {
    update(p) {
      const ratio = p.total === 0 ? 1 : Math.min(1, p.done / p.total);
      const filled = Math.round(ratio * width);
      err.write(`\rrewrap [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.done}/${p.total}`);
      drawn = true;
    },
    end() {
      if (drawn) err.write('\n');
    },
  };
}

/** `ax keys …`: the keyring behind every encrypted value. */
export function registerKeys(program: Command, action: CommandAction): void {
  const keys = program.command('keys').description('keyring status, rotation and rewrap');

  keys
    .command('status')
    .description('key versions, pointers, encryption counts, and how many secret versions each key protects')
    .action(
      action(async (ctx) => {
        await ctx.authorizePlatform('admin.manage');
        const { keyring, secrets } = await secretServices(ctx);
        const status = await keyring.status();
        const usage = await secrets.keyUsage();
        const count = new Map(usage.byKeyVersion.map((u) => [u.keyVersion, u.count]));
        const onPrimary = count.get(status.primaryVersion) ?? 0;
        const total = usage.byKeyVersion.reduce((n, u) => n + u.count, 0);
        const data = {
          ...status,
          secrets: { total, onPrimary, byKeyVersion: usage.byKeyVersion },
        };
        ctx.out.result(data, () =>
          [
            `keyring ${status.name} (${status.kdf} master key${status.insecureDevKey ? ', INSECURE DEV KEY' : ''})`,
            `primary v${status.primaryVersion}, min decryption v${status.minDecryptionVersion}, min encryption v${status.minEncryptionVersion}`,
            table(
              status.versions.map((v) => ({
                version: `v${v.version}`,
                status: v.status,
                primary: v.primary ? 'yes' : '',
                encryptions: v.encryptions,
                secrets: count.get(v.version) ?? 0,
              })),
            ),
            `${onPrimary} of ${total} secret versions on the primary key${onPrimary < total ? ': run `ax keys rewrap`' : ''}`,
          ].join('\n'),
        );
      }),
    );

  keys
    .command('rotate')
    .description('add a new key version and make it primary (old versions keep decrypting)')
    .action(
      action(async (ctx) => {
        await ctx.authorizePlatform('admin.manage');
        const { keyring } = await secretServices(ctx);
        const version = await keyring.rotate();
        ctx.out.result(
          { primaryVersion: version },
          () => `rotated: v${version} is now primary; run \`ax keys rewrap\``,
        );
      }),
    );

  keys
    .command('min-decryption <version>')
    .description(
      'refuse ciphertexts below this key version (archives older versions; reversible by lowering it)',
    )
    .action(
      action(async (ctx, version: string) => {
        await ctx.authorizePlatform('admin.manage');
        const { keyring, secrets } = await secretServices(ctx);
        const v = positiveInt(version);
        const usage = await secrets.keyUsage();
        const stranded = usage.byKeyVersion.filter((u) => u.keyVersion < v).reduce((n, u) => n + u.count, 0);
        await keyring.setMinDecryptionVersion(v);
        if (stranded > 0) {
          ctx.out.warn(
            `${stranded} secret versions are below v${v} and cannot be read until you lower it again or rewrap`,
          );
        }
        ctx.out.result(
          { minDecryptionVersion: keyring.minDecryptionVersion, stranded },
          () => `minimum decryption version is now v${keyring.minDecryptionVersion}`,
        );
      }),
    );

  keys
    .command('rewrap')
    .description('re-encrypt every stored secret under the primary key (resumable; safe to interrupt)')
    .option('--batch <n>', 'rows per transaction', positiveInt, 200)
    .action(
      action(async (ctx, opts: { batch: number }) => {
        await ctx.authorizePlatform('admin.manage');
        const { secrets } = await secretServices(ctx);
        const bar = progressBar(ctx);
        const result = await secrets.rewrapAll({ batchSize: opts.batch, onProgress: (p) => bar.update(p) });
        bar.end();
        ctx.out.result(result, () =>
          [
            `rewrapped ${result.rewrapped} of ${result.total} secret versions to v${result.primaryVersion}`,
            ...(result.conflicts ? [`${result.conflicts} changed meanwhile (rerun to check them)`] : []),
            ...result.failures.map((f) => `failed: ${f.tenantId} ${f.key} v${f.version}: ${f.reason}`),
          ].join('\n'),
        );
        if (result.failed > 0) throw new ExitWith(EXIT.error);
      }),
    );
}
