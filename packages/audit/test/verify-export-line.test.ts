import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExportManifest, exportAuditToFile, verifyExport } from '../src/index.js';
import { ctxFor, type Fixture, fixture, T1 } from './helpers.js';

let f: Fixture;
const files = {} as Record<'jsonl' | 'csv', { file: string; manifest: ExportManifest; text: string }>;

beforeAll(async () => {
  f = await fixture();
  for (let i = 0; i < 8; i++) {
    await f.log.append(ctxFor(T1), { action: 'secret.read', outcome: 'success', resource: `k${i}` });
  }
  for (const format of ['jsonl', 'csv'] as const) {
    const file = join(f.dir, `t1.${format}`);
    const manifest = await exportAuditToFile(f.log, T1, file, { format });
    files[format] = { file, manifest, text: readFileSync(file, 'utf8') };
  }
});
afterAll(async () => {
  await f?.cleanup();
});

// Edits the event with `seq` (its resource k<seq-1> becomes x<seq-1>) and verifies the edited copy.
async function editSeq(format: 'jsonl' | 'csv', seq: number) {
  const { text, manifest } = files[format];
  const edited = text.replace(`k${seq - 1}`, `x${seq - 1}`);
  expect(edited).not.toBe(text);
  const out = join(f.dir, `edited-${seq}.${format}`);
  writeFileSync(out, edited);
  return verifyExport(out, manifest, f.signer);
}

describe('verifyExport names the edited line', () => {
  it('an edit on JSONL line 5 is reported at line 5 (seq 5), not the line after it', async () => {
    expect(await editSeq('jsonl', 5)).toMatchObject({ ok: false, kind: 'modified', seq: 5, line: 5 });
  });

  it('an edit on the first and on the last JSONL line names that line', async () => {
    expect(await editSeq('jsonl', 1)).toMatchObject({ ok: false, seq: 1, line: 1 });
    expect(await editSeq('jsonl', 8)).toMatchObject({ ok: false, seq: 8, line: 8 });
  });

  it('a CSV edit names its record, counting the header as record 1', async () => {
    expect(await editSeq('csv', 5)).toMatchObject({ ok: false, kind: 'modified', seq: 5, line: 6 });
    expect(await editSeq('csv', 8)).toMatchObject({ ok: false, seq: 8, line: 9 });
  });
});
