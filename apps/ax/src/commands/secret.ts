import { readFile } from 'node:fs/promises';
import { DEFAULT_TENANT_SLUG, ValidationError } from '@ax/core';
import type { SecretScope } from '@ax/secrets';
import { type Command, InvalidArgumentError } from 'commander';
import type { CommandContext } from '../context.js';
import { table } from '../output.js';
import type { CommandAction } from '../program.js';
import { secretServices } from '../services/secrets.js';

interface TenantOpt {
  tenant: string;
}

const TENANT_HELP = 'tenant id or slug';

function int(name: string) {
  return (value: string): number => {
    if (!/^\d{1,9}$/.test(value)) throw new InvalidArgumentError(`--${name} must be a non-negative integer`);
    return Number(value);
  };
}

// Every command authorizes before it opens the keyring: a refused request reserves no encryptions and decrypts
// nothing.
/** The tenant scope, after checking that the principal (`--as`, else the operator) holds `permission` there. */
async function scopeFor(
  ctx: CommandContext,
  tenant: string,
  permission: string,
  key?: string,
): Promise<SecretScope> {
  const t = await ctx.tenant(tenant);
  // with the key as the object, a rule on keys (`{ key: { $regex: '^ci/' } }`, a deny on `prod-db`) decides
  const ectx = await ctx.authorize(t.id, permission, key === undefined ? {} : { object: { key } });
  return { tenantId: t.id, actor: ectx.actor };
}

async function readStdin(ctx: CommandContext): Promise<string> {
  const stdin = ctx.env.stdin as NodeJS.ReadableStream & { isTTY?: boolean };
  if (stdin.isTTY) ctx.out.warn('reading the value from standard input; end it with Ctrl-D');
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  // One trailing newline (from `echo` or a heredoc) is not part of the value.
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** The value to store: `--file`, else `--value` (warned: argv leaks), else standard input. */
async function valueFrom(ctx: CommandContext, opts: { value?: string; file?: string }): Promise<string> {
  let value: string;
  if (opts.file !== undefined) value = (await readFile(opts.file, 'utf8')).replace(/\r?\n$/, '');
  else if (opts.value !== undefined) {
    ctx.out.warn(
      '--value puts the secret in shell history and the process list; prefer standard input or --file',
    );
    value = opts.value;
  } else value = await readStdin(ctx);
  if (value.length === 0) throw new ValidationError('the secret value is empty');
  return value;
}

const when = (ms: number) => new Date(ms).toISOString();

/** `ax secret …`: per-tenant secrets. Values come from stdin or a file, never printed except by `get`. */
export function registerSecret(program: Command, action: CommandAction): void {
  const secret = program
    .command('secret')
    .description('per-tenant encrypted secrets (set, get, list, rm, rotate, versions)');

  secret
    .command('set <key>')
    .description('store a new version of a secret; the value is read from standard input')
    .option('--tenant <tenant>', TENANT_HELP, DEFAULT_TENANT_SLUG)
    .option('--file <path>', 'read the value from a file instead of standard input')
    .option('--value <value>', 'the value on the command line (discouraged: visible in ps and history)')
    .option('--cas <version>', 'write only if the current version is this (0: must not exist)', int('cas'))
    .action(
      action(async (ctx, key: string, opts: TenantOpt & { file?: string; value?: string; cas?: number }) => {
        const scope = await scopeFor(ctx, opts.tenant, 'secret.write', key);
        const { secrets } = await secretServices(ctx);
        const value = await valueFrom(ctx, opts);
        const r = await secrets.set(scope, { key, value, cas: opts.cas });
        ctx.out.result(
          { key, tenantId: scope.tenantId, ...r },
          () => `${r.created ? 'created' : 'updated'} ${key} version ${r.version}`,
        );
      }),
    );

  secret
    .command('get <key>')
    .description('print a secret value (the current version, or --version)')
    .option('--tenant <tenant>', TENANT_HELP, DEFAULT_TENANT_SLUG)
    .option('--version <n>', 'a kept older version', int('version'))
    .action(
      action(async (ctx, key: string, opts: TenantOpt & { version?: number }) => {
        const scope = await scopeFor(ctx, opts.tenant, 'secret.read', key);
        const { secrets } = await secretServices(ctx);
        const { value, version } = await secrets.read(scope, { key, version: opts.version });
        ctx.out.result({ key, tenantId: scope.tenantId, version, value }, () => value);
      }),
    );

  secret
    .command('list')
    .description("list a tenant's secrets (metadata only, never values)")
    .option('--tenant <tenant>', TENANT_HELP, DEFAULT_TENANT_SLUG)
    .option('--prefix <prefix>', 'only keys starting with this')
    .option('--limit <n>', 'at most this many', int('limit'), 100)
    .option('--after <key>', 'continue after this key')
    .action(
      action(async (ctx, opts: TenantOpt & { prefix?: string; limit: number; after?: string }) => {
        const scope = await scopeFor(ctx, opts.tenant, 'secret.read');
        const { secrets } = await secretServices(ctx);
        const items = await secrets.list(scope, {
          prefix: opts.prefix,
          limit: opts.limit,
          afterKey: opts.after,
        });
        ctx.out.result({ tenantId: scope.tenantId, secrets: items }, () =>
          table(
            items.map((s) => ({
              key: s.key,
              version: s.currentVersion,
              updated: when(s.updatedAt),
              by: s.updatedBy,
            })),
          ),
        );
      }),
    );

  secret
    .command('rm <key>')
    .description('delete a secret and all its versions')
    .option('--tenant <tenant>', TENANT_HELP, DEFAULT_TENANT_SLUG)
    .option('--cas <version>', 'delete only if the current version is this', int('cas'))
    .action(
      action(async (ctx, key: string, opts: TenantOpt & { cas?: number }) => {
        const scope = await scopeFor(ctx, opts.tenant, 'secret.delete', key);
        const { secrets } = await secretServices(ctx);
        const deleted = await secrets.delete(scope, { key, cas: opts.cas });
        ctx.out.result({ key, tenantId: scope.tenantId, deleted }, () =>
          deleted ? `deleted ${key}` : `${key}: no such secret`,
        );
      }),
    );

  secret
    .command('rotate <key>')
    .description('replace a secret with a fresh random value (32 bytes, base64url); read it back with get')
    .option('--tenant <tenant>', TENANT_HELP, DEFAULT_TENANT_SLUG)
    .option('--bytes <n>', 'random bytes in the new value', int('bytes'), 32)
    .option('--cas <version>', 'rotate only if the current version is this', int('cas'))
    .action(
      action(async (ctx, key: string, opts: TenantOpt & { bytes: number; cas?: number }) => {
        const scope = await scopeFor(ctx, opts.tenant, 'secret.write', key);
        const { secrets } = await secretServices(ctx);
        const r = await secrets.rotate(scope, { key, randomBytes: opts.bytes, cas: opts.cas });
        ctx.out.result(
          { key, tenantId: scope.tenantId, ...r },
          () => `rotated ${key} to version ${r.version}`,
        );
      }),
    );

  secret
    .command('versions <key>')
    .description('list the kept versions of a secret (metadata only)')
    .option('--tenant <tenant>', TENANT_HELP, DEFAULT_TENANT_SLUG)
    .action(
      action(async (ctx, key: string, opts: TenantOpt) => {
        const scope = await scopeFor(ctx, opts.tenant, 'secret.read', key);
        const { secrets } = await secretServices(ctx);
        const versions = await secrets.versions(scope, { key });
        ctx.out.result({ key, tenantId: scope.tenantId, versions }, () =>
          table(
            versions.map((v) => ({
              version: v.version,
              current: v.current ? 'yes' : '',
              key_version: v.keyVersion,
              created: when(v.createdAt),
              by: v.createdBy,
            })),
          ),
        );
      }),
    );
}
