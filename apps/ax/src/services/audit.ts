import type { AuditLog } from '@ax/audit';
import { PLATFORM_TENANT_ID, toAxError } from '@ax/core';
import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import type { AuditSink } from './audit-wiring.js';
import { ExitWith } from '../exit-codes.js';

/** The audit log of the services root (the keyring's `audit.chain` MAC signer; master key from AX_MASTER_KEY). */
export async function auditService(ctx: CommandContext): Promise<AuditLog> {
  return (await ctx.services()).audit();
}

// Refusals (the guard's: the caller may not, or not now) are `denied`; anything else that failed is `failure`.
const REFUSED = new Set(['FORBIDDEN', 'TENANT_SUSPENDED', 'RATE_LIMITED', 'QUOTA_EXCEEDED']);

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
      (typeof tenantOpt === 'string' ? (await ctx.tenant(tenantOpt)).id : PLATFORM_TENANT_ID);
    const log = await auditService(ctx);
    const code = failure === null ? null : failure instanceof ExitWith ? 'NO' : toAxError(failure).code;
    const names: string[] = [];
    for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
    await log.append(
      { tenantId, actor: await ctx.principal().catch(() => ctx.actor) },
      {
        action: 'command.run',
        outcome: code === null ? 'success' : code !== null && REFUSED.has(code) ? 'denied' : 'failure',
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
