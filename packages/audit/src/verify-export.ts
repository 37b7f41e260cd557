import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { type MacSigner, parseInput } from '@ax/core';
import { canonicalJson } from './canonical.js';
import {
  type ChainBreak,
  type ChainRow,
  ChainVerifier,
  checkpointPayload,
  type TamperKind,
  unhex,
} from './chain.js';
import { CsvParser, type CsvValue } from './csv.js';
import { CSV_COLUMNS, type ExportManifest, exportManifestSchema, verifyManifestSignature } from './export.js';

/** Result of {@link verifyExport}. */
export type ExportVerifyResult =
  | {
      ok: true;
      count: number;
      fromSeq: number;
      toSeq: number;
      lastHash: string | null;
    }
  | {
      ok: false;
      /** A chain kind, or `malformed` (unparseable line) or `manifest` (manifest or file hash mismatch). */
      kind: TamperKind | 'malformed' | 'manifest';
      seq: number | null;
      /** 1-based line (JSONL) or record (CSV) where it was found, when it was found in the file. */
      line: number | null;
      count: number;
      message: string;
    };

type Failure = Extract<ExportVerifyResult, { ok: false }>;

const str = (v: unknown): v is string => typeof v === 'string';
const strOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string';
const int = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

function fromJsonl(line: string): ChainRow | null {
  const o = JSON.parse(line) as Record<string, unknown>;
  const e = o.event as Record<string, unknown> | undefined;
  const actor = e?.actor as Record<string, unknown> | undefined;
  if (!e || !actor || typeof e.metadata !== 'object' || e.metadata === null) return null;
  if (
    !str(e.id) ||
    !str(e.tenantId) ||
    !int(e.seq) ||
    !int(e.timestamp) ||
    !str(actor.type) ||
    !str(actor.id)
  ) {
    return null;
  }
  if (!str(e.action) || !str(e.outcome) || !strOrNull(e.resource) || !strOrNull(e.resourceType)) return null;
  if (!strOrNull(e.reason) || !strOrNull(e.ip) || !strOrNull(e.userAgent) || !strOrNull(e.requestId))
    return null;
  if (!str(o.prevHash) || !str(o.hash) || !int(o.keyVersion) || !str(o.mac)) return null;
  return {
    id: e.id,
    tenantId: e.tenantId,
    seq: e.seq,
    timestamp: e.timestamp,
    actorType: actor.type,
    actorId: actor.id,
    action: e.action,
    resource: e.resource,
    resourceType: e.resourceType,
    outcome: e.outcome,
    reason: e.reason,
    metadata: canonicalJson(e.metadata),
    ip: e.ip,
    userAgent: e.userAgent,
    requestId: e.requestId,
    prevHash: unhex(o.prevHash),
    hash: unhex(o.hash),
    keyVersion: o.keyVersion,
    mac: unhex(o.mac),
  };
}

function num(v: CsvValue): number {
  return v !== null && /^(0|[1-9]\d{0,15})$/.test(v) ? Number(v) : Number.NaN;
}

function fromCsv(rec: CsvValue[]): ChainRow | null {
  if (rec.length !== CSV_COLUMNS.length) return null;
  const [
    seq,
    id,
    tenantId,
    ts,
    actorType,
    actorId,
    action,
    resource,
    resourceType,
    outcome,
    reason,
    metadata,
  ] = rec;
  const [ip, userAgent, requestId, prevHash, hash, keyVersion, mac] = rec.slice(12);
  if (id == null || tenantId == null || actorType == null || actorId == null || action == null) return null;
  if (outcome == null || metadata == null || prevHash == null || hash == null || mac == null) return null;
  const s = num(seq ?? null);
  const t = num(ts ?? null);
  const k = num(keyVersion ?? null);
  if (Number.isNaN(s) || Number.isNaN(t) || Number.isNaN(k)) return null;
  return {
    seq: s,
    id,
    tenantId,
    timestamp: t,
    actorType,
    actorId,
    action,
    resource: resource ?? null,
    resourceType: resourceType ?? null,
    outcome,
    reason: reason ?? null,
    metadata: canonicalJson(JSON.parse(metadata)),
    ip: ip ?? null,
    userAgent: userAgent ?? null,
    requestId: requestId ?? null,
    prevHash: unhex(prevHash),
    hash: unhex(hash),
    keyVersion: k,
    mac: unhex(mac),
  };
}

/**
 * Checks an export offline, with no database: the manifest's signature, every event's hash, chain link
 * and signature, the count and first/last hashes against the manifest, its checkpoint, and the SHA-256
 * of the file's bytes. Streams the file (constant memory). Any single-byte edit is reported.
 */
export async function verifyExport(
  input: string | Readable,
  manifestInput: ExportManifest,
  signer: MacSigner,
): Promise<ExportVerifyResult> {
  const parsed = exportManifestSchema.safeParse(manifestInput);
  const fail = (
    kind: Failure['kind'],
    seq: number | null,
    line: number | null,
    count: number,
    message: string,
  ) => ({ ok: false, kind, seq, line, count, message }) satisfies Failure;
  if (!parsed.success) return fail('manifest', null, null, 0, 'the manifest is malformed');
  const m = parseInput(exportManifestSchema, manifestInput, 'manifest');
  if (!verifyManifestSignature(m, signer)) {
    return fail('manifest', null, null, 0, 'the manifest signature does not verify');
  }
  if (m.checkpoint) {
    const c = m.checkpoint;
    const ok =
      c.tenantId === m.tenantId &&
      c.seq === m.toSeq &&
      c.headHash === m.lastHash &&
      signer.verify(
        checkpointPayload({
          tenantId: c.tenantId,
          seq: c.seq,
          headHash: unhex(c.headHash),
          time: c.time,
        }),
        unhex(c.mac),
        c.keyVersion,
      );
    if (!ok) return fail('manifest', m.toSeq, null, 0, 'the manifest checkpoint does not verify');
  }
  const v = new ChainVerifier(signer, {
    seq: m.fromSeq,
    prevHash: unhex(m.firstPrevHash),
  });
  const sha = createHash('sha256');
  const stream = typeof input === 'string' ? createReadStream(input) : input;
  const decoder = new StringDecoder('utf8');
  const csv = m.format === 'csv' ? new CsvParser() : null;
  let pending = '';
  let line = 0;
  let broken: Failure | null = null;
  let firstHash: string | null = null;
  // The verifier checks a row when the next one arrives (or at finish): a break is about the row pushed
  // before, so it is reported at that row's line, not at the line being read.
  let checkedLine: number | null = null;
  const asFailure = (b: ChainBreak, at: number | null): Failure =>
    fail(b.kind, b.seq, at, b.count, b.message);

  const take = (row: ChainRow | null): Failure | null => {
    if (!row || row.tenantId !== m.tenantId) {
      return fail('malformed', v.nextSeq, line, v.count, 'an exported line is not an event of this tenant');
    }
    firstHash ??= Buffer.from(row.hash).toString('hex');
    const at = checkedLine;
    checkedLine = line;
    const b = v.push(row);
    return b ? asFailure(b, at) : null;
  };
  const jsonlLines = (text: string): Failure | null => {
    pending += text;
    let start = 0;
    let nl = pending.indexOf('\n', start);
    while (nl !== -1) {
      line++;
      const l = pending.slice(start, nl);
      start = nl + 1;
      let row: ChainRow | null;
      try {
        row = fromJsonl(l);
      } catch {
        row = null;
      }
      const f = take(row);
      if (f) return f;
      nl = pending.indexOf('\n', start);
    }
    pending = pending.slice(start);
    return null;
  };
  const csvRecords = (text: string): Failure | null => {
    try {
      csv!.push(text);
    } catch {
      return fail('malformed', v.nextSeq, line + 1, v.count, 'the CSV is malformed');
    }
    for (const rec of csv!.records.splice(0)) {
      line++;
      if (line === 1) {
        if (rec.join(',') !== CSV_COLUMNS.join(','))
          return fail('malformed', null, 1, 0, 'unexpected CSV header');
        continue;
      }
      let row: ChainRow | null;
      try {
        row = fromCsv(rec);
      } catch {
        row = null;
      }
      const f = take(row);
      if (f) return f;
    }
    return null;
  };

  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    sha.update(buf);
    if (broken) continue; // keep hashing nothing more is needed, but drain the stream
    const text = decoder.write(buf);
    broken = csv ? csvRecords(text) : jsonlLines(text);
  }
  if (broken) return broken;
  const rest = decoder.end();
  if (csv) {
    const f = csvRecords(rest);
    if (f) return f;
    try {
      csv.end();
    } catch {
      return fail('truncated', v.nextSeq, line + 1, v.count, 'the CSV ends mid-record');
    }
  } else {
    pending += rest;
    if (pending !== '') return fail('truncated', v.nextSeq, line + 1, v.count, 'the file ends mid-line');
  }
  const last = v.finish();
  if (last) return asFailure(last, checkedLine);
  if (v.count < m.count) {
    return fail(
      'truncated',
      v.nextSeq,
      null,
      v.count,
      `the file has ${v.count} events, the manifest ${m.count}`,
    );
  }
  if (v.count > m.count)
    return fail('inserted', m.toSeq + 1, null, v.count, 'the file has more events than the manifest');
  const lastHash = m.count > 0 ? Buffer.from(v.lastHash).toString('hex') : null;
  if (firstHash !== m.firstHash || lastHash !== m.lastHash) {
    return fail('manifest', null, null, v.count, 'first or last hash differs from the manifest');
  }
  if (sha.digest('hex') !== m.sha256) {
    return fail('manifest', null, null, v.count, 'the file bytes differ from the manifest hash');
  }
  return {
    ok: true,
    count: v.count,
    fromSeq: m.fromSeq,
    toSeq: m.toSeq,
    lastHash,
  };
}
