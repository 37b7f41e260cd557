import { type Tenant, ValidationError } from '@ax/core';
import type { QuotaUsageItem, TenantUsage } from '@ax/tenancy';
import type { Command } from 'commander';
import { table } from '../output.js';
import type { CommandAction } from '../program.js';
import { tenancyServices } from '../services/tenancy.js';

const iso = (t: number | null) => (t === null ? '-' : new Date(t).toISOString());
const num = (n: number) => (n < 0 ? 'unlimited' : String(n));

function describeTenant(t: Tenant): string {
  return [
    `id         ${t.id}`,
    `slug       ${t.slug}`,
    `name       ${t.name}`,
    `plan       ${t.plan}`,
    `status     ${t.status}${t.statusReason ? ` (${t.statusReason})` : ''}`,
    `billing    ${t.billingAnchorDay === null ? 'calendar month (UTC)' : `day ${t.billingAnchorDay} of each month`}`,
    `created    ${iso(t.createdAt)}`,
  ].join('\n');
}

function describeUsage(u: TenantUsage, slug: string): string {
  const rows = u.quotas.map((q: QuotaUsageItem) => ({
    quota: q.quota,
    kind: q.kind,
    limit: `${num(q.limit)}${q.overridden ? ' (override)' : ''}`,
    used: q.used,
    remaining: q.remaining === null ? 'unlimited' : q.remaining,
    enforcement: q.enforcement,
  }));
  const leases = u.leases.map((l) => ({
    lease: l.id,
    quota: l.quota,
    holder: l.holder,
    acquired: iso(l.acquiredAt),
    expires: iso(l.expiresAt),
  }));
  return [
    `tenant   ${slug} (${u.tenantId}), plan ${u.plan}`,
    `period   ${iso(u.periodStart)} to ${iso(u.periodEnd)}`,
    '',
    table(rows, ['quota', 'kind', 'limit', 'used', 'remaining', 'enforcement']),
    '',
    `active leases: ${u.leases.length}`,
    ...(leases.length ? [table(leases)] : []),
  ].join('\n');
}

/** `ax tenant …`: create, list, show, suspend, activate, delete, purge, change plan, and quotas. */
export function registerTenant(program: Command, action: CommandAction): void {
  const tenant = program.command('tenant').description('tenants, their plans and quotas');

  tenant
    .command('create <name>')
    .description('create a tenant with its plan’s quotas')
    .requiredOption('--slug <slug>', 'lower-case slug, 3 to 63 characters, unique')
    .option('--plan <plan>', 'free, pro, enterprise (or a custom plan)', 'free')
    .option('--anchor-day <day>', 'billing periods start on this day of the month (default: calendar months)')
    .action(
      action(async (ctx, name: string, opts: { slug: string; plan: string; anchorDay?: string }) => {
        const platform = await ctx.authorizePlatform('tenant.write');
        const { tenants } = await tenancyServices(ctx);
        const t = await tenants.create(platform, {
          name,
          slug: opts.slug,
          plan: opts.plan,
          ...(opts.anchorDay === undefined ? {} : { billingAnchorDay: Number(opts.anchorDay) }),
        });
        ctx.out.result(t, () => `created tenant ${t.slug} (${t.id}) on plan ${t.plan}`);
      }),
    );

  tenant
    .command('list')
    .description('list tenants, oldest first')
    .option('--status <status...>', 'only these statuses (active, suspended, deleted)')
    .option('--limit <n>', 'page size', '50')
    .option('--cursor <id>', 'continue after this tenant id (the previous page’s nextCursor)')
    .action(
      action(async (ctx, opts: { status?: string[]; limit: string; cursor?: string }) => {
        await ctx.authorizePlatform('tenant.read');
        const { tenants } = await tenancyServices(ctx);
        const page = await tenants.list({
          limit: Number(opts.limit),
          ...(opts.cursor ? { cursor: opts.cursor } : {}),
          ...(opts.status ? { status: opts.status as Tenant['status'][] } : {}),
        });
        ctx.out.result(page, () =>
          [
            table(
              page.items.map((t) => ({
                id: t.id,
                slug: t.slug,
                name: t.name,
                plan: t.plan,
                status: t.status,
              })),
            ),
            ...(page.nextCursor ? [`more: --cursor ${page.nextCursor}`] : []),
          ].join('\n'),
        );
      }),
    );

  tenant
    .command('show <tenant>')
    .description('show a tenant (id or slug)')
    .action(
      action(async (ctx, ref: string) => {
        const { tenants } = await tenancyServices(ctx);
        const t = await tenants.get(ref);
        // a suspended tenant's members may still read why it is suspended
        await ctx.authorize(t.id, 'tenant.read', { requireActiveTenant: false });
        ctx.out.result(t, () => describeTenant(t));
      }),
    );

  tenant
    .command('suspend <tenant>')
    .description('suspend a tenant; its requests are refused with TENANT_SUSPENDED and the reason')
    .requiredOption('--reason <reason>', 'why (shown to the tenant’s callers and recorded)')
    .action(
      action(async (ctx, ref: string, opts: { reason: string }) => {
        // a platform action: a tenant admin cannot suspend its own tenant and lock everyone out
        const { actor } = await ctx.authorizePlatform('tenant.suspend');
        const { tenants } = await tenancyServices(ctx);
        const target = await tenants.get(ref);
        const t = await tenants.suspend({ tenantId: target.id, actor }, { reason: opts.reason });
        ctx.out.result(t, () => `suspended ${t.slug}: ${t.statusReason}`);
      }),
    );

  tenant
    .command('activate <tenant>')
    .description('make a suspended tenant active again')
    .action(
      action(async (ctx, ref: string) => {
        const { actor } = await ctx.authorizePlatform('tenant.suspend');
        const { tenants } = await tenancyServices(ctx);
        const target = await tenants.get(ref);
        const t = await tenants.activate({ tenantId: target.id, actor });
        ctx.out.result(t, () => `activated ${t.slug}`);
      }),
    );

  tenant
    .command('delete <tenant>')
    .description('soft-delete a tenant: its requests are refused, its data kept until `ax tenant purge`')
    .action(
      action(async (ctx, ref: string) => {
        const { actor } = await ctx.authorizePlatform('tenant.write');
        const { tenants } = await tenancyServices(ctx);
        const target = await tenants.get(ref);
        const t = await tenants.delete({ tenantId: target.id, actor });
        ctx.out.result(
          t,
          () => `deleted ${t.slug}; \`ax tenant purge ${t.slug} --confirm ${t.slug}\` removes it for good`,
        );
      }),
    );

  tenant
    .command('purge <tenant>')
    .description('remove a deleted tenant and its quota data for good (type its slug again with --confirm)')
    .requiredOption('--confirm <slug>', 'the tenant’s slug, typed again')
    .action(
      action(async (ctx, ref: string, opts: { confirm: string }) => {
        const { actor } = await ctx.authorizePlatform('tenant.write');
        const { tenants } = await tenancyServices(ctx);
        const target = await tenants.get(ref);
        if (opts.confirm !== target.slug) {
          throw new ValidationError(
            `--confirm must be the tenant's slug (${target.slug}); nothing was purged`,
          );
        }
        await tenants.purge({ tenantId: target.id, actor });
        ctx.out.result(
          { purged: target.id, slug: target.slug },
          () => `purged ${target.slug} (${target.id})`,
        );
      }),
    );

  tenant
    .command('plan <tenant> <plan>')
    .description('move a tenant to another plan; usage is kept and the new limits apply to it')
    .action(
      action(async (ctx, ref: string, plan: string) => {
        // a platform action: a tenant admin must not raise its own tenant's quotas
        const { actor } = await ctx.authorizePlatform('tenant.write');
        const { tenants } = await tenancyServices(ctx);
        const before = await tenants.get(ref);
        const t = await tenants.changePlan({ tenantId: before.id, actor }, { plan });
        ctx.out.result(t, () => `${t.slug}: plan ${before.plan} -> ${t.plan}`);
      }),
    );

  tenant
    .command('quota <tenant> [action] [args...]')
    .description(
      'live limits, usage, billing period and active leases; `consume <quota> <amount>` uses some up, ' +
        '`override <quota> <limit|unlimited|plan>` sets a per-tenant limit (installation-wide)',
    )
    .option('--idempotency-key <key>', 'consume: a retry with the same key consumes nothing more')
    .action(
      action(
        async (
          ctx,
          ref: string,
          verb: string | undefined,
          args: string[],
          o: { idempotencyKey?: string },
        ) => {
          const { tenants, quotas } = await tenancyServices(ctx);
          const t = await tenants.get(ref);
          const want = (n: number, usage: string) => {
            if (args.length !== n) throw new ValidationError(`usage: ax tenant quota <tenant> ${usage}`);
          };
          if (verb === undefined) {
            const usage = await quotas.usage(await ctx.authorize(t.id, 'quota.read'));
            ctx.out.result(usage, () => describeUsage(usage, t.slug));
          } else if (verb === 'consume') {
            want(2, 'consume <quota> <amount>');
            const [quota, amount] = args as [string, string];
            // what a tenant's own workload does: a tenant permission (its admin holds it), not a platform one
            const ectx = await ctx.authorize(t.id, 'quota.write');
            const r = await quotas.consume(ectx, {
              quota,
              amount: Number(amount),
              ...(o.idempotencyKey === undefined ? {} : { idempotencyKey: o.idempotencyKey }),
            });
            ctx.out.result(
              r,
              () =>
                `${t.slug}: ${r.replayed ? 'already consumed (same idempotency key)' : `consumed ${r.amount}`} ` +
                `of ${r.quota}: used ${r.used} of ${num(r.limit)}`,
            );
          } else if (verb === 'override') {
            want(2, 'override <quota> <limit|unlimited|plan>');
            const [quota, value] = args as [string, string];
            const limit = value === 'plan' ? null : value === 'unlimited' ? -1 : Number(value);
            // a platform action: a tenant admin must not raise its own tenant's limits
            const { actor } = await ctx.authorizePlatform('tenant.write');
            await quotas.setOverride({ tenantId: t.id, actor }, { quota, limit });
            const item = (await quotas.usage({ tenantId: t.id, actor })).quotas.find(
              (q) => q.quota === quota,
            );
            ctx.out.result(
              item ?? { quota },
              () =>
                `${t.slug}: ${quota} limit ${item ? num(item.limit) : '-'}${limit === null ? " (the plan's)" : ' (override)'}`,
            );
          } else {
            // no reset: QuotaService has no per-tenant way to zero usage (periods roll over by themselves)
            throw new ValidationError(`unknown quota action ${verb}: give consume or override`);
          }
        },
      ),
    );
}
