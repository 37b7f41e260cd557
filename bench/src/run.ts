// `pnpm bench [filter]`: runs every suite (or those whose id contains the filter) and writes bench/results.json.
import { auditCases } from './audit.bench.js';
import { cliCases } from './cli.bench.js';
import { type BenchCase, type CaseResult, runCases, writeResults } from './harness.js';
import { cryptoCases } from './crypto.bench.js';
import { guardCases } from './guard.bench.js';
import { secretsCases } from './secrets.bench.js';
import { rbacCases } from './rbac.bench.js';
import { storeSqliteCases } from './store-sqlite.bench.js';
import { tenancyCases } from './tenancy.bench.js';

type Suite = () => Promise<{ cases: BenchCase[]; cleanup(): Promise<void> }>;

/** Every benchmark suite. Packages add theirs here. */
const SUITES: Record<string, Suite> = {
  'store-sqlite': storeSqliteCases,
  audit: auditCases,
  crypto: cryptoCases,
  secrets: secretsCases,
  rbac: rbacCases,
  tenancy: tenancyCases,
  guard: guardCases,
  cli: cliCases,
};

const filter = process.argv[2] ?? process.env.AX_BENCH_FILTER ?? '';
const all: CaseResult[] = [];
console.log(
  `node ${process.version}, ${process.platform}/${process.arch}; time per task ${process.env.AX_BENCH_TIME_MS ?? 1000} ms`,
);
for (const [name, suite] of Object.entries(SUITES)) {
  if (filter && !name.includes(filter)) continue;
  const { cases, cleanup } = await suite();
  try {
    all.push(...(await runCases(cases)));
  } finally {
    await cleanup();
  }
}
writeResults(all);
console.log(`\nwrote bench/results.json (${all.length} cases)`);
