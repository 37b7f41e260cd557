import { parseInput } from '@ax/core';
import { z } from 'zod';
import { PRIVILEGED_ACTIONS } from './actions.js';
import type { AuditEvent, AuditLog, VerifyResult } from './audit-log.js';

/** A compliance report for one tenant over `[from, to)`. */
export interface ComplianceReport {
  tenantId: string;
  from: number;
  to: number;
  generatedAt: number;
  total: number;
  byAction: Record<string, number>;
  byOutcome: Record<string, number>;
  /** Denied attempts: the count and the most recent ones. */
  denied: { count: number; recent: AuditEvent[] };
  /** Privileged actions (role changes, secret reads, restores, …): counts and the most recent ones. */
  privileged: {
    count: number;
    byAction: Record<string, number>;
    recent: AuditEvent[];
  };
  topActors: { actorType: string; actorId: string; count: number }[];
  /** Whether the tenant's whole chain verified when the report was made. */
  chain: VerifyResult;
}

const reportSchema = z.object({
  tenantId: z.string().min(1).max(200),
  from: z.number().int(),
  to: z.number().int(),
  recent: z.number().int().min(0).max(1000).default(20),
});

/** Builds a {@link ComplianceReport}. Counts come from the store's indexes; the chain is verified in full. */
export async function complianceReport(
  log: AuditLog,
  input: { tenantId: string; from: number; to: number; recent?: number },
): Promise<ComplianceReport> {
  const { tenantId, from, to, recent } = parseInput(reportSchema, input, 'compliance report');
  const counts = await log.store.audit.counts(tenantId, {
    since: from,
    until: to,
  });
  const total = Object.values(counts.byAction).reduce((a, b) => a + b, 0);
  const denied = await log.query({
    tenantId,
    outcome: 'denied',
    since: from,
    until: to,
    limit: Math.max(1, recent),
  });
  const privByAction: Record<string, number> = {};
  for (const a of PRIVILEGED_ACTIONS) if (counts.byAction[a]) privByAction[a] = counts.byAction[a];
  const privRecent: AuditEvent[] = [];
  for (const action of Object.keys(privByAction)) {
    privRecent.push(
      ...(
        await log.query({
          tenantId,
          action,
          since: from,
          until: to,
          limit: Math.max(1, recent),
        })
      ).events,
    );
  }
  privRecent.sort((a, b) => b.seq - a.seq);
  return {
    tenantId,
    from,
    to,
    generatedAt: log.clock.now(),
    total,
    byAction: counts.byAction,
    byOutcome: counts.byOutcome,
    denied: {
      count: counts.byOutcome.denied ?? 0,
      recent: denied.events.slice(0, recent),
    },
    privileged: {
      count: Object.values(privByAction).reduce((a, b) => a + b, 0),
      byAction: privByAction,
      recent: privRecent.slice(0, recent),
    },
    topActors: counts.byActor.slice(0, 10),
    chain: await log.verify(tenantId),
  };
}

const iso = (t: number) => new Date(t).toISOString();
const cell = (s: string | null) => (s ?? '-').replaceAll('|', '\\|').replaceAll('\n', ' ');

/** Renders a report as Markdown. */
export function complianceMarkdown(r: ComplianceReport): string {
  const lines = [
    `# Audit compliance report: ${r.tenantId}`,
    '',
    `Period: ${iso(r.from)} to ${iso(r.to)} (generated ${iso(r.generatedAt)})`,
    '',
    r.chain.ok
      ? `**Chain verified**: ${r.chain.count} events, head ${r.chain.headHash.slice(0, 16)}…`
      : `**Chain BROKEN** at seq ${r.chain.seq}: ${r.chain.kind} (${r.chain.message})`,
    '',
    `Events: ${r.total}; denied: ${r.denied.count}; privileged: ${r.privileged.count}`,
    '',
    '## By action',
    '',
    '| action | count |',
    '| --- | ---: |',
    ...Object.entries(r.byAction)
      .sort((a, b) => b[1] - a[1])
      .map(([a, n]) => `| ${cell(a)} | ${n} |`),
    '',
    '## By outcome',
    '',
    '| outcome | count |',
    '| --- | ---: |',
    ...Object.entries(r.byOutcome).map(([a, n]) => `| ${a} | ${n} |`),
    '',
    '## Top actors',
    '',
    '| actor | count |',
    '| --- | ---: |',
    ...r.topActors.map((a) => `| ${a.actorType}:${cell(a.actorId)} | ${a.count} |`),
    '',
    '## Privileged actions',
    '',
    '| seq | time | actor | action | resource | outcome |',
    '| ---: | --- | --- | --- | --- | --- |',
    ...r.privileged.recent.map(
      (e) =>
        `| ${e.seq} | ${iso(e.timestamp)} | ${e.actor.type}:${cell(e.actor.id)} | ${e.action} | ${cell(e.resource)} | ${e.outcome} |`,
    ),
    '',
    '## Denied attempts',
    '',
    '| seq | time | actor | action | resource | reason |',
    '| ---: | --- | --- | --- | --- | --- |',
    ...r.denied.recent.map(
      (e) =>
        `| ${e.seq} | ${iso(e.timestamp)} | ${e.actor.type}:${cell(e.actor.id)} | ${e.action} | ${cell(e.resource)} | ${cell(e.reason)} |`,
    ),
    '',
  ];
  return lines.join('\n');
}
