import { AuditLog } from '@ax/audit';
import { type Store, toAxError } from '@ax/core';
import { Keyring } from '@ax/crypto';
import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { APP_AUDIT_ACTIONS, type AuditSink, PLATFORM_AUDIT_TENANT } from './audit-wiring.js';
import { ExitWith } from '../exit-codes.js';

/** The MAC purpose audit signatures use in the keyring: one key per purpose and version. */
export const AUDIT_MAC_PURPOSE = 'audit.chain';

/**
 * The audit log as the CLI composes it: the command's store, the keyring in that store (master key from
 * AX_MASTER_KEY), and its `audit.chain` MAC signer; one per command run. Keyring warnings (dev key) go to
 * stderr unless `quiet` (commands that only record events).
 */
export async function auditService(ctx: CommandContext, opts: { quiet?: boolean } = {}): Promise<AuditLog> {
  const store = await ctx.store();
  return auditForStore(store, {
    env: { ...ctx.env.env },
    // `ax audit …` shows the keyring's warnings (e.g. the insecure dev key); commands that only record
    // events (tenant changes, --as runs) do not repeat them on every run.
    onWarning: opts.quiet ? undefined : (m) => ctx.out.warn(m),
  });
}

// One audit log (one keyring open) per store, whoever asks first.
const byStore = new WeakMap<Store, Promise<AuditLog>>();

/** The audit log on a store (memoised), for wiring where no command context is at hand. */
export function auditForStore(
  store: Store,
  opts: { env: Record<string, string | undefined>; onWarning?: (m: string) => void },
): Promise<AuditLog> {
  let log = byStore.get(store);
  if (!log) {
    log = (async () => {
      const keyring = await Keyring.open({
        store: store.keyring,
        env: opts.env,
        reserveBlockSize: 1, // the audit log only signs; it never encrypts
        onWarning: opts.onWarning ?? (() => undefined),
      });
      return new AuditLog({
        store,
        signer: keyring.macSigner(AUDIT_MAC_PURPOSE),
        actions: APP_AUDIT_ACTIONS,
      });
    })();
    byStore.set(store, log);
  }
  return log;
}

/**
 * Flushes the command's audit sink (observations its services recorded), then records a command run
 * `--as <user>` as `command.run` in the tenant it named (`--tenant`), with the user as
 * actor and the outcome: `denied` for FORBIDDEN, `failure` for any other error or a "no" answer (exit 3),
 * else `success`. Option names are recorded, never their values. Commands about no tenant (keys, tenant
 * create) go to the platform chain; a failure to record is reported on stderr and does not change the command's exit code.
 */
export async function auditAsCommand(
  ctx: CommandContext,
  cmd: Command,
  failure: unknown,
  sink?: AuditSink,
): Promise<void> {
  try {
    await sink?.flush();
  } catch (err) {
    ctx.out.warn(`an audit event could not be written: ${toAxError(err).message}`);
  }
  if (!ctx.opts.as) return;
  const tenantOpt = (cmd.opts() as { tenant?: unknown }).tenant;
  try {
    // the tenant the command was authorized in, else its --tenant, else the platform chain
    const tenantId =
      ctx.authorizedTenantId ??
      (typeof tenantOpt === 'string' ? (await ctx.tenant(tenantOpt)).id : PLATFORM_AUDIT_TENANT);
    const log = await auditService(ctx, { quiet: true });
    const code = failure === null ? null : failure instanceof ExitWith ? 'NO' : toAxError(failure).code;
    const names: string[] = [];
    for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
    await log.append(
      { tenantId, actor: await ctx.principal().catch(() => ctx.actor) },
      {
        action: 'command.run',
        outcome: code === null ? 'success' : code === 'FORBIDDEN' ? 'denied' : 'failure',
        resource: names.join(' '),
        resourceType: 'command',
        reason: code,
        metadata: { options: Object.keys(cmd.opts()).sort() },
      },
    );
  } catch (err) {
    ctx.out.warn(`could not audit the --as command: ${toAxError(err).message}`);
  }
}
