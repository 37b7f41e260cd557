import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ExportManifest,
  exportAuditToFile,
  manifestPathFor,
  secret,
  verifyExport,
} from '../src/index.js';
import { ctxFor, type Fixture, fixture, T1, T2, TestMacSigner } from './helpers.js';

let f: Fixture;
const files: Record<'jsonl' | 'csv', { file: string; manifest: ExportManifest; bytes: Buffer }> = {} as never;

beforeAll(async () => {
  f = await fixture();
  for (let i = 0; i < 60; i++) {
    await f.log.append(ctxFor(i % 2 ? T1 : T2), {
      action: i % 3 ? 'secret.read' : 'role.assign',
      outcome: i % 5 ? 'success' : 'denied',
      resource: i % 4 ? `res,"quoted"\n${i}` : null,
      reason: i % 6 ? null : '',
      metadata: {
        i,
        note: 'comma, "quote", newline\nand ünïcode',
        hidden: secret('x'),
        list: [1, null, true],
      },
    });
  }
  for (const format of ['jsonl', 'csv'] as const) {
    const file = join(f.dir, `t1.${format}`);
    const manifest = await exportAuditToFile(f.log, T1, file, { format });
    files[format] = { file, manifest, bytes: readFileSync(file) };
  }
});
afterAll(async () => {
  await f?.cleanup();
});

describe('export', () => {
  it('writes JSONL and CSV with a signed manifest that verifies offline', async () => {
    for (const format of ['jsonl', 'csv'] as const) {
      const { file, manifest } = files[format];
      expect(manifest).toMatchObject({ tenantId: T1, format, fromSeq: 1, toSeq: 30, count: 30 });
      expect(JSON.parse(readFileSync(manifestPathFor(file), 'utf8'))).toEqual(manifest);
      // offline: only the file, the manifest and the key
      expect(await verifyExport(file, manifest, new TestMacSigner())).toMatchObject({ ok: true, count: 30 });
    }
  });

  it('rejects a manifest signed with another key, and a manifest edited to match a shorter file', async () => {
    const { file, manifest } = files.jsonl;
    expect(await verifyExport(file, manifest, new TestMacSigner({ 1: 'other' }))).toMatchObject({
      ok: false,
      kind: 'manifest',
    });
    expect(await verifyExport(file, { ...manifest, count: 29 }, f.signer)).toMatchObject({
      ok: false,
      kind: 'manifest',
    });
  });

  it('detects a cut-off export (last line removed) even with the rest intact', async () => {
    const { bytes, manifest } = files.jsonl;
    const lines = bytes.toString('utf8').split('\n');
    const cut = join(f.dir, 'cut.jsonl');
    writeFileSync(cut, `${lines.slice(0, -2).join('\n')}\n`);
    expect(await verifyExport(cut, manifest, f.signer)).toMatchObject({
      ok: false,
      kind: 'truncated',
      seq: 30,
    });
  });

  for (const format of ['jsonl', 'csv'] as const) {
    it(`detects every single-byte edit of a ${format} export`, async () => {
      const { bytes, manifest } = files[format];
      const tampered = join(f.dir, `tampered.${format}`);
      let checked = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.nat({ max: bytes.length - 1 }),
          fc.integer({ min: 1, max: 255 }),
          async (pos, delta) => {
            const copy = Buffer.from(bytes);
            copy[pos] = (copy[pos]! + delta) % 256;
            writeFileSync(tampered, copy);
            const r = await verifyExport(tampered, manifest, f.signer);
            expect(r.ok).toBe(false);
            checked++;
          },
        ),
        { numRuns: 400, seed: 4242 },
      );
      expect(checked).toBe(400);
    });
  }
});
