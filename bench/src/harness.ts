import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bench } from 'tinybench';

/** One side of a comparison: our code or the peer's, on the same workload. */
export interface Contender {
  name: string;
  fn: () => unknown | Promise<unknown>;
}

/** A benchmark case: ours against a named peer, run in one process, reported as a ratio. */
export interface BenchCase {
  /** Stable id, e.g. "store-sqlite/point-read". */
  id: string;
  ours: Contender;
  peer: Contender;
  /** Target ratio (ours ops/s divided by peer ops/s) the issue asks for, if any. */
  target?: { minRatio: number; note?: string };
}

/** One row of results. */
export interface BenchRow {
  id: string;
  contender: string;
  side: 'ours' | 'peer';
  opsPerSec: number;
  p50Us: number;
  p99Us: number;
  samples: number;
}

/** Result of a case: both rows and ours/peer throughput ratio. */
export interface CaseResult {
  id: string;
  rows: [BenchRow, BenchRow];
  ratio: number;
  target?: number;
  met?: boolean;
}

const TIME_MS = Number(process.env.AX_BENCH_TIME_MS ?? 1000);

function toRow(id: string, side: 'ours' | 'peer', task: { name: string; result: unknown }): BenchRow {
  const r = task.result as {
    throughput?: { mean: number };
    latency?: {
      p50?: number;
      p99?: number;
      samplesCount?: number;
      samples?: number[];
    };
  };
  const lat = r.latency ?? {};
  return {
    id,
    contender: task.name,
    side,
    opsPerSec: r.throughput?.mean ?? 0,
    p50Us: (lat.p50 ?? 0) * 1000,
    p99Us: (lat.p99 ?? 0) * 1000,
    samples: lat.samplesCount ?? lat.samples?.length ?? 0,
  };
}

/**
 * Runs each case's two contenders in one tinybench run (interleaved warm-up, same process),
 * prints ops/s, p50, p99 and the ratio, and returns the results.
 */
export async function runCases(cases: BenchCase[]): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const c of cases) {
    const bench = new Bench({
      time: TIME_MS,
      warmupTime: Math.min(250, TIME_MS / 4),
    });
    bench.add(c.ours.name, c.ours.fn).add(c.peer.name, c.peer.fn);
    await bench.run();
    const [ours, peer] = bench.tasks;
    if (!ours?.result || !peer?.result) throw new Error(`bench ${c.id} produced no result`);
    const rows: [BenchRow, BenchRow] = [toRow(c.id, 'ours', ours), toRow(c.id, 'peer', peer)];
    const ratio = rows[0].opsPerSec / rows[1].opsPerSec;
    const result: CaseResult = { id: c.id, rows, ratio };
    if (c.target) {
      result.target = c.target.minRatio;
      result.met = ratio >= c.target.minRatio;
    }
    results.push(result);
    printCase(result);
  }
  return results;
}

function fmt(n: number, digits = 1): string {
  return n.toLocaleString('en-US', {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  });
}

function printCase(r: CaseResult): void {
  const lines = [`\n${r.id}`];
  lines.push(
    `  ${'contender'.padEnd(44)} ${'ops/s'.padStart(13)} ${'p50 µs'.padStart(9)} ${'p99 µs'.padStart(9)}`,
  );
  for (const row of r.rows) {
    lines.push(
      `  ${`${row.side === 'ours' ? 'ours' : 'peer'}: ${row.contender}`.padEnd(44)} ${fmt(row.opsPerSec, 0).padStart(13)} ${fmt(row.p50Us, 2).padStart(9)} ${fmt(row.p99Us, 2).padStart(9)}`,
    );
  }
  const target =
    r.target === undefined ? '' : ` (target >= ${fmt(r.target, 2)}x: ${r.met ? 'met' : 'MISSED'})`;
  lines.push(`  ratio ours/peer: ${fmt(r.ratio, 2)}x${target}`);
  console.log(lines.join('\n'));
}

/** Merges results into bench/results.json, keyed by case id, with the machine they ran on. */
export function writeResults(
  results: CaseResult[],
  file = join(import.meta.dirname, '..', 'results.json'),
): void {
  let existing: { cases?: Record<string, unknown> } = {};
  try {
    existing = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    existing = {};
  }
  const cases = { ...(existing.cases ?? {}) } as Record<string, unknown>;
  for (const r of results) cases[r.id] = { ...r, at: new Date().toISOString() };
  const os = process.versions;
  writeFileSync(file, `${JSON.stringify({ node: os.node, sqlite: os.sqlite ?? null, cases }, null, 2)}\n`);
}

/** Latency percentiles (µs) of an async operation run `n` times: for one-off measurements like cold loads. */
export async function percentiles(
  n: number,
  fn: (i: number) => unknown | Promise<unknown>,
): Promise<{
  p50Us: number;
  p95Us: number;
  p99Us: number;
}> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await fn(i);
    samples.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
  return { p50Us: at(0.5), p95Us: at(0.95), p99Us: at(0.99) };
}
