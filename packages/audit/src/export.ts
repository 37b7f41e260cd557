import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { type AuditRow, type ExecutionContext, type MacSigner, parseInput } from '@ax/core';
import { z } from 'zod';
import type { AuditLog } from './audit-log.js';
import { canonicalEvent, canonicalJson } from './canonical.js';
import { chainHash, checkpointPayload, hex } from './chain.js';
import { csvField } from './csv.js';
import { type PublishedCheckpoint, publishedCheckpointSchema, tenantIdSchema } from './schemas.js';

/** Export file formats. */
export type ExportFormat = 'jsonl' | 'csv';

/** The CSV header: one column per event field, then the chain columns. */
export const CSV_COLUMNS = [
  'seq',
  'id',
  'tenantId',
  'timestamp',
  'actorType',
  'actorId',
  'action',
  'resource',
  'resourceType',
  'outcome',
  'reason',
  'metadata',
  'ip',
  'userAgent',
  'requestId',
  'prevHash',
  'hash',
  'keyVersion',
  'mac',
] as const;

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);

/** Schema of the manifest that travels with an export. */
export const exportManifestSchema = z.object({
  kind: z.literal('ax-audit-export'),
  version: z.literal(1),
  tenantId: z.string().min(1),
  format: z.enum(['jsonl', 'csv']),
  fromSeq: z.number().int().min(1),
  toSeq: z.number().int().min(0),
  count: z.number().int().min(0),
  /** Hash the first exported event links to. */
  firstPrevHash: hex64,
  firstHash: hex64.nullable(),
  lastHash: hex64.nullable(),
  /** SHA-256 of the file's bytes. */
  sha256: hex64,
  createdAt: z.number().int(),
  /** A signed checkpoint at `toSeq`. */
  checkpoint: publishedCheckpointSchema.nullable(),
  keyVersion: z.number().int().min(0),
  /** HMAC over the manifest without `keyVersion` and `mac`. */
  mac: z.string().regex(/^[0-9a-f]+$/),
});

/** The manifest of an export. */
export type ExportManifest = z.infer<typeof exportManifestSchema>;

/** What a manifest's MAC covers. */
export function manifestPayload(m: Omit<ExportManifest, 'keyVersion' | 'mac'>): string {
  return `ax-audit-manifest:v1\n${canonicalJson(m)}`;
}

/** One JSONL line: the canonical event, then its chain fields. */
export function jsonlLine(r: AuditRow): string {
  return `{"event":${canonicalEvent(r)},"prevHash":"${hex(r.prevHash)}","hash":"${hex(r.hash)}","keyVersion":${r.keyVersion},"mac":"${hex(r.mac)}"}\n`;
}

/** One CSV record, in {@link CSV_COLUMNS} order. */
export function csvLine(r: AuditRow): string {
  return `${[
    r.seq,
    csvField(r.id),
    csvField(r.tenantId),
    r.timestamp,
    csvField(r.actorType),
    csvField(r.actorId),
    csvField(r.action),
    csvField(r.resource),
    csvField(r.resourceType),
    csvField(r.outcome),
    csvField(r.reason),
    csvField(r.metadata),
    csvField(r.ip),
    csvField(r.userAgent),
    csvField(r.requestId),
    hex(r.prevHash),
    hex(r.hash),
    r.keyVersion,
    hex(r.mac),
  ].join(',')}\n`;
}

/** Options for {@link exportAudit}. */
export interface ExportOptions {
  format: ExportFormat;
  from?: number;
  to?: number;
  /** Called every page with events written so far and the total expected. */
  onProgress?: (written: number, total: number) => void;
  /** When set, the export itself is recorded as `audit.export` by this context. */
  ctx?: ExecutionContext;
}

const optionsSchema = z.object({
  format: z.enum(['jsonl', 'csv']),
  from: z.number().int().min(1).optional(),
  to: z.number().int().min(1).optional(),
});

/**
 * Streams a tenant's events to `out` as JSONL or CSV (constant memory: one page at a time, honouring
 * back-pressure), and returns the signed manifest. The caller ends `out`.
 */
export async function exportAudit(
  log: AuditLog,
  tenantIdInput: string,
  out: Writable,
  options: ExportOptions,
): Promise<ExportManifest> {
  const tenantId = parseInput(tenantIdSchema, tenantIdInput, 'tenant id');
  const o = parseInput(optionsSchema, options, 'export options');
  const port = log.store.audit;
  const head = await port.head(tenantId);
  const anchor = await port.anchor(tenantId);
  const floor = anchor ? anchor.seq + 1 : 1;
  const fromSeq = Math.max(o.from ?? floor, floor);
  const toSeq = Math.min(o.to ?? head.seq, head.seq);
  let firstPrevHash: Uint8Array = anchor && fromSeq === floor ? anchor.hash : new Uint8Array(32);
  if (fromSeq > floor) {
    const before = await port.getBySeq(tenantId, fromSeq - 1);
    if (before) firstPrevHash = before.hash;
  }
  const sha = createHash('sha256');
  const emit = async (s: string) => {
    const bytes = Buffer.from(s, 'utf8'); // encode once for both the hash and the file
    sha.update(bytes);
    if (!out.write(bytes)) await once(out, 'drain');
  };
  if (o.format === 'csv') await emit(`${CSV_COLUMNS.join(',')}\n`);
  const line = o.format === 'csv' ? csvLine : jsonlLine;
  const total = Math.max(0, toSeq - fromSeq + 1);
  let count = 0;
  let firstHash: string | null = null;
  let lastHash: Uint8Array | null = null;
  // Small pages: rows die young (scavenged, not promoted), which keeps peak memory flat on big exports.
  for await (const page of log.pages(tenantId, { from: fromSeq, to: toSeq, pageSize: 64 })) {
    let buf = '';
    for (const r of page) {
      if (firstHash === null) firstHash = hex(r.hash);
      lastHash = r.hash;
      buf += line(r);
      count++;
    }
    await emit(buf);
    options.onProgress?.(count, total);
  }
  options.onProgress?.(count, total);
  const signer = log.signer;
  let checkpoint: PublishedCheckpoint | null = null;
  if (lastHash) {
    const body = {
      tenantId,
      seq: fromSeq + count - 1,
      headHash: lastHash,
      time: log.clock.now(),
    };
    const s = signer.sign(checkpointPayload(body));
    checkpoint = {
      ...body,
      headHash: hex(lastHash),
      keyVersion: s.keyVersion,
      mac: hex(s.mac),
    };
  }
  const body = {
    kind: 'ax-audit-export' as const,
    version: 1 as const,
    tenantId,
    format: o.format,
    fromSeq,
    toSeq: fromSeq + count - 1,
    count,
    firstPrevHash: hex(firstPrevHash),
    firstHash,
    lastHash: lastHash ? hex(lastHash) : null,
    sha256: sha.digest('hex'),
    createdAt: log.clock.now(),
    checkpoint,
  };
  const { keyVersion, mac } = signer.sign(manifestPayload(body));
  const manifest: ExportManifest = { ...body, keyVersion, mac: hex(mac) };
  if (options.ctx) {
    await log.append(options.ctx, {
      action: 'audit.export',
      resource: tenantId,
      resourceType: 'audit-log',
      metadata: {
        format: o.format,
        fromSeq,
        toSeq: manifest.toSeq,
        count,
        sha256: manifest.sha256,
      },
    });
  }
  return manifest;
}

/** The manifest file written next to an export: `<file>.manifest.json`. */
export function manifestPathFor(file: string): string {
  return `${file}.manifest.json`;
}

/**
 * Exports to a file (written to a temporary name, renamed when complete) and writes its manifest beside it.
 * Returns the manifest.
 */
export async function exportAuditToFile(
  log: AuditLog,
  tenantId: string,
  file: string,
  options: ExportOptions,
): Promise<ExportManifest> {
  const tmp = `${file}.partial`;
  const fd = openSync(tmp, 'w');
  // Synchronous writes of each page: no write queue or thread-pool buffers build up, so memory stays flat.
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      try {
        let off = 0;
        while (off < chunk.length) off += writeSync(fd, chunk, off);
        cb();
      } catch (err) {
        cb(err as Error);
      }
    },
  });
  let manifest: ExportManifest;
  try {
    manifest = await exportAudit(log, tenantId, out, options);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    await rm(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  await rename(tmp, file);
  await writeFile(manifestPathFor(file), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** True when the manifest's MAC verifies. */
export function verifyManifestSignature(manifest: ExportManifest, signer: MacSigner): boolean {
  const { keyVersion, mac, ...body } = manifest;
  return signer.verify(manifestPayload(body), Buffer.from(mac, 'hex'), keyVersion);
}

/** Recomputes one exported row's hash (used by tests and tools). */
export function rowHash(r: AuditRow): Buffer {
  return chainHash(r.prevHash, canonicalEvent(r));
}
