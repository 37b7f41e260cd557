import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  applyRetention,
  complianceMarkdown,
  complianceReport,
  type PublishedCheckpoint,
  setRetentionPolicy,
  verifyExport,
} from '../src/index.js';
import { ctxFor, type Fixture, fixture, T1, T2 } from './helpers.js';

const DAY = 86_400_000;
let f: Fixture;
afterEach(async () => {
  await f?.cleanup();
});

async function seedDays(days: number, perDay: number): Promise<void> {
  for (let d = 0; d < days; d++) {
    await f.log.appendBatch(
      ctxFor(),
      Array.from({ length: perDay }, (_, i) => ({
        action: i % 2 ? 'secret.read' : 'user.login',
        metadata: { d, i },
      })),
    );
    f.clock.advance(DAY);
  }
}

describe('retention', () => {
  it('archives old events to a verified export, prunes them, and leaves an anchor the chain verifies from', async () => {
    f = await fixture();
    await seedDays(10, 5); // 50 events over 10 days
    await setRetentionPolicy(f.log, T1, 4);
    const archiveDir = join(f.dir, 'archive');
    const r = await applyRetention(f.log, { tenantId: T1, archiveDir, ctx: ctxFor() });
    // events of days 0..5 are older than 4 days at "now" (day 10): 6 days x 5 events
    expect(r.pruned).toBe(30);
    expect(r.anchor?.seq).toBe(30);
    expect(existsSync(r.archive!.file)).toBe(true);
    const manifest = JSON.parse(readFileSync(r.archive!.manifestFile, 'utf8'));
    expect(await verifyExport(r.archive!.file, manifest, f.signer)).toMatchObject({ ok: true, count: 30 });
    const v = await f.log.verify(T1);
    expect(v).toMatchObject({ ok: true, fromSeq: 31, count: 21 }); // 20 kept + the audit.prune event
    const again = await applyRetention(f.log, { tenantId: T1, archiveDir });
    expect(again.pruned).toBe(0);
    // the other tenant is untouched
    expect(await f.log.verify(T2)).toMatchObject({ ok: true, count: 0 });
  });

  it('refuses to prune a range without a verified archive, even through the port', async () => {
    f = await fixture();
    await seedDays(3, 2);
    const row = await f.store.audit.getBySeq(T1, 2);
    await expect(
      f.store.audit.prune({
        tenantId: T1,
        seq: 2,
        hash: row!.hash,
        prunedAt: f.clock.now(),
        keyVersion: 1,
        mac: new Uint8Array(32),
      }),
    ).rejects.toMatchObject({ code: 'INTEGRITY' });
    expect((await f.store.audit.readRange(T1, { fromSeq: 1, limit: 10 })).length).toBe(6);
  });

  it('refuses to archive a broken chain, and detects a forged anchor', async () => {
    f = await fixture();
    await seedDays(6, 2);
    const raw = new BetterSqlite3(f.file);
    raw.exec('DROP TRIGGER audit_events_no_update');
    raw.prepare("UPDATE audit_events SET reason = 'edited' WHERE seq = 3").run();
    await expect(
      applyRetention(f.log, { tenantId: T1, archiveDir: join(f.dir, 'a'), days: 1 }),
    ).rejects.toMatchObject({
      code: 'INTEGRITY',
    });
    raw.prepare('UPDATE audit_events SET reason = NULL WHERE seq = 3').run();
    const r = await applyRetention(f.log, { tenantId: T1, archiveDir: join(f.dir, 'a'), days: 1 });
    expect(r.pruned).toBe(10);
    raw.prepare('UPDATE audit_anchors SET seq = 9').run();
    expect(await f.log.verify(T1)).toMatchObject({ ok: false, kind: 'bad-signature', seq: 9 });
    raw.close();
  });
});

describe('checkpoints', () => {
  it('are signed, stored, published, and make a cut tail detectable', async () => {
    const published: PublishedCheckpoint[] = [];
    f = await fixture({ publishCheckpoint: (cp) => void published.push(cp) });
    await seedDays(1, 10);
    const cp = await f.log.checkpoint(T1);
    expect(published).toEqual([cp]);
    expect(cp.seq).toBe(10);
    expect(f.log.verifyCheckpoint(cp)).toBe(true);
    expect(f.log.verifyCheckpoint({ ...cp, seq: 9 })).toBe(false);
    const stored = await f.store.audit.latestCheckpoint(T1);
    expect(stored?.seq).toBe(10);
    await expect(f.log.verify(T1, { checkpoint: { ...cp, seq: 11 } })).resolves.toMatchObject({
      ok: false,
      kind: 'bad-signature',
    });
    const raw = new BetterSqlite3(f.file);
    for (const t of ['audit_events_no_delete', 'audit_heads_forward_only']) raw.exec(`DROP TRIGGER ${t}`);
    raw.prepare('DELETE FROM audit_events WHERE seq > 7').run();
    raw.prepare('UPDATE audit_heads SET seq = 7, hash = (SELECT hash FROM audit_events WHERE seq = 7)').run();
    raw.close();
    expect(await f.log.verify(T1)).toMatchObject({ ok: true, count: 7 }); // nothing inside says it was longer
    expect(await f.log.verify(T1, { checkpoint: cp })).toMatchObject({
      ok: false,
      kind: 'truncated',
      seq: 8,
    });
  });
});

describe('compliance report', () => {
  it('counts by action and outcome, lists denied and privileged actions, top actors and chain status', async () => {
    f = await fixture();
    const from = f.clock.now();
    await f.log.append(ctxFor(T1, 'usr_admin'), { action: 'role.assign', resource: 'usr_bob' });
    await f.log.append(ctxFor(T1, 'usr_bob'), { action: 'secret.read', resource: 'db-url' });
    await f.log.append(ctxFor(T1, 'usr_bob'), {
      action: 'backup.restore',
      outcome: 'denied',
      reason: 'no permission',
    });
    await f.log.append(ctxFor(T1, 'usr_bob'), { action: 'user.login' });
    await f.log.append(ctxFor(T2, 'usr_other'), { action: 'role.assign' });
    const r = await complianceReport(f.log, { tenantId: T1, from, to: from + DAY });
    expect(r.total).toBe(4);
    expect(r.byOutcome).toEqual({ success: 3, denied: 1 });
    expect(r.denied.count).toBe(1);
    expect(r.denied.recent[0]?.action).toBe('backup.restore');
    expect(r.privileged.byAction).toEqual({ 'role.assign': 1, 'secret.read': 1, 'backup.restore': 1 });
    expect(r.topActors[0]).toEqual({ actorType: 'user', actorId: 'usr_bob', count: 3 });
    expect(r.chain).toMatchObject({ ok: true, count: 4 });
    const md = complianceMarkdown(r);
    expect(md).toContain('**Chain verified**: 4 events');
    expect(md).toContain('| backup.restore |');
  });
});

describe('checkpoint publishing and scheduling', () => {
  it('publishes to a file, and a schedule checkpoints tenants whose head moved', async () => {
    const { fileCheckpointPublisher, scheduleCheckpoints } = await import('../src/index.js');
    const { join } = await import('node:path');
    const { readFileSync } = await import('node:fs');
    const published: PublishedCheckpoint[] = [];
    const dir = (await import('./helpers.js')).tempDir();
    try {
      const file = join(dir.dir, 'checkpoints.jsonl');
      const toFile = fileCheckpointPublisher(file);
      f = await fixture({
        publishCheckpoint: async (cp) => {
          published.push(cp);
          await toFile(cp);
        },
      });
      await seedDays(1, 3);
      const schedule = scheduleCheckpoints(f.log, { everyMs: 20, tenants: async () => [T1, T2] });
      const until = async (seen: () => boolean) => {
        for (let i = 0; i < 1000 && !seen(); i++) await new Promise((r) => setTimeout(r, 10));
      };
      await until(() => published.length >= 2);
      await f.log.append(ctxFor(), { action: 'user.login' });
      await until(() => published.some((p) => p.tenantId === T1 && p.seq === 4));
      await new Promise((r) => setTimeout(r, 100)); // more rounds: heads stand still, nothing new
      await schedule.stop();
      // T1 at seq 3, then at seq 4; T2 once at seq 0; no repeats while heads stand still
      expect(published.map((p) => `${p.tenantId === T1 ? 'T1' : 'T2'}:${p.seq}`).sort()).toEqual([
        'T1:3',
        'T1:4',
        'T2:0',
      ]);
      const lines = readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines).toEqual(published);
      for (const cp of lines) expect(f.log.verifyCheckpoint(cp)).toBe(true);
    } finally {
      dir.remove();
    }
  });
});
