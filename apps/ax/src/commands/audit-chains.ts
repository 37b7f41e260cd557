import type { AuditEvent } from '@ax/audit';
import { type ExecutionContext, NotFoundError, PLATFORM_TENANT_ID, ValidationError } from '@ax/core';
import type { CommandContext } from '../context.js';
import { EXIT, ExitWith } from '../exit-codes.js';
import { table } from '../output.js';
import { auditService } from '../services/audit.js';

// Which chain an `ax audit` command acts on, and `ax audit verify --all` over every chain.

/**
 * Checks the principal (`--as`, else the operator) holds `permission` in the tenant; its context. A suspended
 * tenant's log stays readable by whoever may read it: that is when an investigation needs it.
 */
export function execContext(
  ctx: CommandContext,
  tenantId: string,
  permission: string,
): Promise<ExecutionContext> {
  return ctx.authorize(tenantId, permission, { requireActiveTenant: false });
}

/** A usage error (exit 2) about the option at `path`. */
export function usage(message: string, path: string): ValidationError {
  return new ValidationError(message, [{ path: [path], message, code: 'custom' }]);
}

/** Which chain a command names: a tenant's (`--tenant`) or the installation-wide one (`--platform`). */
export interface ChainOptions {
  tenant?: string;
  platform?: boolean;
}

/**
 * The chain `o` names, with the principal authorized for `permission` on it: in the tenant for `--tenant`,
 * installation-wide (`authorizePlatform`) for `--platform`.
 */
export async function chainOf(
  ctx: CommandContext,
  o: ChainOptions,
  permission: string,
): Promise<{ tenantId: string; exec: ExecutionContext }> {
  if (o.platform && o.tenant !== undefined) throw usage('give --tenant or --platform, not both', 'platform');
  if (o.platform) return { tenantId: PLATFORM_TENANT_ID, exec: await ctx.authorizePlatform(permission) };
  if (o.tenant === undefined) throw usage('--tenant <tenant> or --platform is required', 'tenant');
  const tenant = await ctx.tenant(o.tenant).catch((err: unknown) => {
    // the installation-wide chain is not a tenant: say how to reach it
    if (err instanceof NotFoundError && o.tenant === PLATFORM_TENANT_ID) {
      throw new NotFoundError(`tenant ${o.tenant} not found; the installation-wide chain is --platform`);
    }
    throw err;
  });
  return { tenantId: tenant.id, exec: await execContext(ctx, tenant.id, permission) };
}

/** Each event's tenant as a person reads it: the slug, `platform` for the installation-wide chain. */
export async function slugsOf(
  ctx: CommandContext,
  events: readonly AuditEvent[],
): Promise<Map<string, string>> {
  const store = await ctx.store();
  const slugs = new Map<string, string>([[PLATFORM_TENANT_ID, PLATFORM_TENANT_ID]]);
  for (const id of new Set(events.map((e) => e.tenantId))) {
    if (!slugs.has(id)) slugs.set(id, (await store.tenants.get(id))?.slug ?? id);
  }
  return slugs;
}

/** One row of `ax audit verify --all`: a chain and how it verified. */
export interface ChainStatus {
  tenantId: string;
  /** The tenant's slug; null for the installation-wide chain. */
  slug: string | null;
  ok: boolean;
  /** Events verified (before the break, when it is broken). */
  count: number;
  /** The first bad seq, its kind and why, when broken. */
  seq?: number;
  kind?: string;
  message?: string;
}

/**
 * `ax audit verify --all`: every tenant's chain (whatever its status) and the installation-wide one, one row
 * each; recorded as one `audit.verify` in the platform chain; exit 3 if any is broken.
 */
export async function verifyAll(ctx: CommandContext): Promise<void> {
  const log = await auditService(ctx);
  const exec = await ctx.authorizePlatform('audit.verify');
  const store = await ctx.store();
  const chains: { tenantId: string; slug: string | null }[] = [];
  for (let afterId: string | undefined; ; ) {
    const page = await store.tenants.list({ afterId, limit: 500 });
    chains.push(...page.map((t) => ({ tenantId: t.id, slug: t.slug })));
    if (page.length < 500) break;
    afterId = page[page.length - 1]!.id;
  }
  chains.push({ tenantId: PLATFORM_TENANT_ID, slug: null });
  const rows: ChainStatus[] = [];
  for (const c of chains) {
    const r = await log.verify(c.tenantId);
    rows.push(
      r.ok
        ? { ...c, ok: true, count: r.count }
        : { ...c, ok: false, count: r.count, seq: r.seq, kind: r.kind, message: r.message },
    );
  }
  const failed = rows.filter((r) => !r.ok);
  await log.append(exec, {
    action: 'audit.verify',
    outcome: failed.length === 0 ? 'success' : 'failure',
    resource: null,
    resourceType: 'audit-log',
    reason: failed.length === 0 ? null : `${failed.length} of ${rows.length} chains broken`,
    metadata: { chains: rows.length, failed: failed.map((r) => r.tenantId) },
  });
  ctx.out.result({ ok: failed.length === 0, chains: rows }, () =>
    [
      table(
        rows.map((r) => ({
          tenant: r.tenantId,
          slug: r.slug ?? '(platform)',
          events: r.count,
          status: r.ok ? 'ok' : `FAILED: seq ${r.seq} ${r.kind}`,
        })),
      ),
      failed.length === 0
        ? `ok: ${rows.length} chains verified`
        : `FAILED: ${failed.length} of ${rows.length} chains broken`,
    ].join('\n'),
  );
  if (failed.length > 0) throw new ExitWith(EXIT.no);
}
