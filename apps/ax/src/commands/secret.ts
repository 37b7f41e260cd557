import { open, readFile } from 'node:fs/promises';
import { DEFAULT_TENANT_SLUG, NotFoundError, ValidationError } from '@ax/core';
import type { SecretScope } from '@ax/secrets';
import { type Command, InvalidArgumentError } from 'commander';
import type { CommandContext } from '../context.js';
import { decodeUtf8 } from '../utf8.js';
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

/** How a value is read from standard input and printed by `get`; stated in `--help` and the README. */
const NEWLINE_RULE =
  'Standard input: one trailing newline (\\n or \\r\\n, as echo and heredocs add) is stripped, unless --raw';

async function readStdin(ctx: CommandContext, raw: boolean): Promise<Buffer> {
  const stdin = ctx.env.stdin as NodeJS.ReadableStream & { isTTY?: boolean };
  if (stdin.isTTY) ctx.out.warn('reading the value from standard input; end it with Ctrl-D');
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  const bytes = Buffer.concat(chunks);
  for (const c of chunks) c.fill(0);
  if (raw) return bytes;
  // The terminal rule: one trailing newline (from `echo` or a heredoc) is not part of the value.
  const end = bytes.at(-1) === 0x0a ? (bytes.at(-2) === 0x0d ? 2 : 1) : 0;
  return bytes.subarray(0, bytes.length - end);
}

/** The file's exact bytes; a missing file or a directory is the caller's mistake, not an internal error. */
async function readValueFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new NotFoundError(`--file ${path}: no such file`);
    if (code === 'EISDIR') throw new ValidationError(`--file ${path} is a directory, not a file`);
    if (code === 'EACCES' || code === 'EPERM') throw new ValidationError(`--file ${path}: permission denied`);
    throw err;
  }
}

/**
 * The value to store, as bytes (never decoded, so invalid UTF-8 is kept as it is): `--file` byte-exact, else
 * `--value` (warned: argv leaks), else standard input under {@link NEWLINE_RULE}.
 */
async function valueFrom(
  ctx: CommandContext,
  opts: { value?: string; file?: string; raw?: boolean },
): Promise<Buffer> {
  if (opts.file !== undefined && opts.value !== undefined) {
    throw new ValidationError('give the value one way: --file or --value, not both');
  }
  let value: Buffer;
  if (opts.file !== undefined) value = await readValueFile(opts.file);
  else if (opts.value !== undefined) {
    ctx.out.warn(
      '--value puts the secret in shell history and the process list; prefer standard input or --file',
    );
    value = Buffer.from(opts.value, 'utf8');
  } else value = await readStdin(ctx, opts.raw === true);
  if (value.length === 0) throw new ValidationError('the secret value is empty');
  return value;
}

/** Writes `bytes` to `path` readable by the owner only (0600, also when the file existed with wider mode). */
async function writeValueFile(path: string, bytes: Uint8Array): Promise<void> {
  let file: Awaited<ReturnType<typeof open>>;
  try {
    file = await open(path, 'w', 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new NotFoundError(`--out ${path}: no such directory`);
    if (code === 'EISDIR') throw new ValidationError(`--out ${path} is a directory, not a file`);
    if (code === 'EACCES' || code === 'EPERM') throw new ValidationError(`--out ${path}: permission denied`);
    throw err;
  }
  try {
    await file.chmod(0o600);
    await file.writeFile(bytes);
  } finally {
    await file.close();
  }
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
    .option('--file <path>', "read the value from a file instead of standard input: the file's exact bytes")
    .option('--raw', 'keep standard input byte-exact (no trailing newline stripped)')
    .option('--value <value>', 'the value on the command line (discouraged: visible in ps and history)')
    .option('--cas <version>', 'write only if the current version is this (0: must not exist)', int('cas'))
    .addHelpText(
      'after',
      '\nValues are bytes, stored as given (invalid UTF-8 included); --file is always byte-exact.\n' +
        `${NEWLINE_RULE}.\n` +
        'Example:\n  ax secret set tls/key --file server.key --tenant acme',
    )
    .action(
      action(
        async (
          ctx,
          key: string,
          opts: TenantOpt & { file?: string; value?: string; raw?: boolean; cas?: number },
        ) => {
          const scope = await scopeFor(ctx, opts.tenant, 'secret.write', key);
          const { secrets } = await secretServices(ctx);
          const value = await valueFrom(ctx, opts);
          try {
            const r = await secrets.set(scope, { key, value, cas: opts.cas });
            ctx.out.result(
              { key, tenantId: scope.tenantId, ...r },
              () => `${r.created ? 'created' : 'updated'} ${key} version ${r.version}`,
            );
          } finally {
            value.fill(0);
          }
        },
      ),
    );

  secret
    .command('get <key>')
    .description('print a secret value (the current version, or --version), or write it to a file with --out')
    .option('--tenant <tenant>', TENANT_HELP, DEFAULT_TENANT_SLUG)
    .option('--version <n>', 'a kept older version', int('version'))
    .option('--out <file>', 'write the exact bytes to this file (mode 0600) instead of printing them')
    .option('--raw', 'print the exact bytes, without the newline added after a text value')
    .addHelpText(
      'after',
      '\nA UTF-8 value prints followed by a newline (--raw: without). A value that is not UTF-8 prints as its raw\n' +
        'bytes with nothing added; with --json it is base64 with "encoding": "base64".\n' +
        'Example:\n  ax secret get tls/key --tenant acme --out server.key',
    )
    .action(
      action(
        async (ctx, key: string, opts: TenantOpt & { version?: number; out?: string; raw?: boolean }) => {
          const scope = await scopeFor(ctx, opts.tenant, 'secret.read', key);
          const { secrets } = await secretServices(ctx);
          const { value, version } = await secrets.readBytes(scope, { key, version: opts.version });
          try {
            const base = { key, tenantId: scope.tenantId, version };
            if (opts.out !== undefined) {
              await writeValueFile(opts.out, value);
              ctx.out.result(
                { ...base, out: opts.out, bytes: value.length },
                () => `wrote ${key} version ${version} to ${opts.out} (${value.length} bytes)`,
              );
              return;
            }
            const text = decodeUtf8(value, { keepBom: true });
            if (ctx.out.json) {
              ctx.out.result(
                text === undefined
                  ? { ...base, value: value.toString('base64'), encoding: 'base64' }
                  : { ...base, value: text },
                () => '',
              );
            } else if (text === undefined || opts.raw) {
              // Bytes as they are, so `ax secret get k > f` and pipes stay byte-exact; a newline would corrupt them.
              const stdout = ctx.env.stdout as typeof ctx.env.stdout & { isTTY?: boolean };
              if (text === undefined && stdout.isTTY)
                ctx.out.warn(`${key} is not UTF-8 text; use --out <file>`);
              ctx.env.stdout.write(Buffer.from(value));
            } else ctx.out.result(base, () => text);
          } finally {
            value.fill(0);
          }
        },
      ),
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
