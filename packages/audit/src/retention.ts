import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type ExecutionContext, IntegrityError, parseInput } from '@ax/core';
import { z } from 'zod';
import type { AuditLog } from './audit-log.js';
import { anchorPayload, hex, unhex } from './chain.js';
import { type ExportManifest, exportAuditToFile, manifestPathFor } from './export.js';
import { verifyExport } from './verify-export.js';

const DAY = 86_400_000;

/** What a retention run did. */
export interface RetentionResult {
  tenantId: string;
  /** The policy applied (days). */
  days: number;
  /** Events pruned (0 when nothing was old enough). */
  pruned: number;
  archive: {
    file: string;
    manifestFile: string;
    manifest: ExportManifest;
  } | null;
  /** The anchor left behind (hex), or null when nothing was pruned. */
  anchor: { seq: number; hash: string; prunedAt: number } | null;
}

const retentionSchema = z.object({
  tenantId: z.string().min(1).max(200),
  archiveDir: z.string().min(1),
  days: z.number().int().min(1).max(36_500).optional(),
});

/**
 * Applies a tenant's retention policy: events older than the policy's days are exported to a file in
 * `archiveDir`, the chain and the file are verified, the archive is recorded, then the range is pruned,
 * leaving a signed anchor from which the rest of the chain verifies. Refuses (pruning nothing) when the
 * chain or the archive does not verify. `days` overrides (and does not store) the tenant's policy.
 */
export async function applyRetention(
  log: AuditLog,
  input: {
    tenantId: string;
    archiveDir: string;
    days?: number;
    ctx?: ExecutionContext;
  },
): Promise<RetentionResult> {
  const { tenantId, archiveDir, days: override } = parseInput(retentionSchema, input, 'retention');
  const port = log.store.audit;
  const policy = override ?? (await port.getRetention(tenantId))?.days;
  if (policy === undefined) {
    throw new IntegrityError(`tenant ${tenantId} has no audit retention policy: set one first`, {
      details: { tenantId },
    });
  }
  const now = log.clock.now();
  const through = await port.lastSeqBefore(tenantId, now - policy * DAY);
  const anchor = await port.anchor(tenantId);
  const first = anchor ? anchor.seq + 1 : 1;
  const none: RetentionResult = {
    tenantId,
    days: policy,
    pruned: 0,
    archive: null,
    anchor: null,
  };
  if (through < first) return none;

  const chain = await log.verify(tenantId, { to: through });
  if (!chain.ok) {
    throw new IntegrityError(`refusing to archive: the chain is broken at seq ${chain.seq} (${chain.kind})`, {
      details: { tenantId, seq: chain.seq, kind: chain.kind },
    });
  }
  await mkdir(archiveDir, { recursive: true });
  const file = join(archiveDir, `audit-${tenantId}-${first}-${through}.jsonl`);
  const manifest = await exportAuditToFile(log, tenantId, file, {
    format: 'jsonl',
    from: first,
    to: through,
  });
  const checked = await verifyExport(file, manifest, log.signer);
  if (!checked.ok || manifest.count !== through - first + 1 || manifest.lastHash === null) {
    await rm(file, { force: true });
    await rm(manifestPathFor(file), { force: true });
    throw new IntegrityError('refusing to prune: the archive did not verify', {
      details: { tenantId, file },
    });
  }
  await port.recordArchive({
    tenantId,
    fromSeq: first,
    toSeq: through,
    lastHash: unhex(manifest.lastHash),
    location: file,
    manifestMac: manifest.mac,
    verifiedAt: log.clock.now(),
  });
  const body = {
    tenantId,
    seq: through,
    hash: unhex(manifest.lastHash),
    prunedAt: log.clock.now(),
  };
  const { keyVersion, mac } = log.signer.sign(anchorPayload(body));
  const pruned = await port.prune({ ...body, keyVersion, mac });
  if (input.ctx) {
    await log.append(input.ctx, {
      action: 'audit.prune',
      resource: tenantId,
      resourceType: 'audit-log',
      metadata: {
        fromSeq: first,
        toSeq: through,
        pruned,
        days: policy,
        archive: file,
      },
    });
  }
  return {
    tenantId,
    days: policy,
    pruned,
    archive: { file, manifestFile: manifestPathFor(file), manifest },
    anchor: { seq: through, hash: hex(body.hash), prunedAt: body.prunedAt },
  };
}

/** Stores a tenant's retention policy. */
export async function setRetentionPolicy(log: AuditLog, tenantId: string, days: number): Promise<void> {
  const p = parseInput(
    z.object({
      tenantId: z.string().min(1).max(200),
      days: z.number().int().min(1).max(36_500),
    }),
    {
      tenantId,
      days,
    },
    'retention policy',
  );
  await log.store.audit.setRetention(p);
}
