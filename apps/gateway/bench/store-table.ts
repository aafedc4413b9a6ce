/**
 * The store benchmark's tables in the READMEs, generated from one result file (never typed by hand):
 * apps/gateway/README.md gets the full table between its `store-bench-table` markers, the root README a
 * one-line summary between its `store-bench-summary` markers. store.bench.ts calls this after each run;
 * `npx tsx bench/store-table.ts bench/results/store-<ts>.json` (in apps/gateway) regenerates them by hand.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { REPO_ROOT } from '@redoubt/local-stack';
import { COMPARISONS, ratioKey, type MeasuredCell, type RatioTable } from './store-ratios.js';

interface StoreResult {
  at: string;
  environment: { cores: number; filesystem: string; fdatasyncP50Ms: number };
  parameters: { durationMsPerCell: number; rounds: number; concurrency: number[] };
  series: { name: string; semantics: string }[];
  cells: MeasuredCell[];
  ratios: RatioTable;
  goals: Record<string, boolean>;
}

const median = (values: number[]) => {
  const v = [...values].sort((a, b) => a - b);
  const mid = v.length / 2;
  return v.length % 2 ? v[Math.floor(mid)]! : (v[mid - 1]! + v[mid]!) / 2;
};
const fixed = (x: number, d: number) => (Number.isFinite(x) ? x.toFixed(d) : '–');

function replaceBetween(text: string, marker: string, content: string, file: string): string {
  const begin = `<!-- ${marker}:begin -->`;
  const end = `<!-- ${marker}:end -->`;
  const a = text.indexOf(begin);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`${file} has no ${begin} ... ${end} markers`);
  return text.slice(0, a + begin.length) + content + text.slice(b);
}

export function renderTable(result: StoreResult, source: string): string {
  const lines = [
    '',
    `Generated from \`${source}\` (${result.at}; ${result.parameters.rounds} round(s) of ` +
      `${result.parameters.durationMsPerCell / 1000} s cells; ${result.environment.cores} cores, ` +
      `${result.environment.filesystem}, fdatasync p50 ${result.environment.fdatasyncP50Ms} ms; load average ` +
      `${fixed(Math.min(...result.cells.map((c) => c.loadAverage.before)), 1)}–` +
      `${fixed(Math.max(...result.cells.map((c) => c.loadAverage.before)), 1)}). Medians over rounds.`,
    '',
    '| series | c | req/s | p50 ms | p99 ms | server CPU µs/op | driver CPU µs/op |',
    '| ------ | -: | ----: | -----: | -----: | ---------------: | ---------------: |',
  ];
  for (const s of result.series) {
    for (const c of result.parameters.concurrency) {
      const cells = result.cells.filter((x) => x.series === s.name && x.concurrency === c);
      if (cells.length === 0) continue;
      const server = cells.map((x) =>
        Object.entries(x.cpuMicrosPerRequest)
          .filter(([k]) => k !== 'go driver')
          .reduce((sum, [, v]) => sum + v, 0),
      );
      lines.push(
        `| ${s.name} | ${c} | ${fixed(median(cells.map((x) => x.rps)), 0)} | ` +
          `${fixed(median(cells.map((x) => x.p50Ms)), 2)} | ${fixed(median(cells.map((x) => x.p99Ms)), 2)} | ` +
          `${fixed(median(server), 0)} | ${fixed(median(cells.map((x) => x.cpuMicrosPerRequest['go driver'] ?? NaN)), 0)} |`,
      );
    }
  }
  lines.push('', '| redoubt / etcd, same cell | c | throughput | p50 | p99 |', '| --- | -: | -: | -: | -: |');
  for (const [series, baseline] of COMPARISONS) {
    for (const c of result.parameters.concurrency) {
      const r = result.ratios[ratioKey(series, baseline, c)];
      if (r) lines.push(`| ${series} / ${baseline} | ${c} | ${r.throughput}× | ${r.p50}× | ${r.p99}× |`);
    }
  }
  lines.push('', 'Semantics:', '');
  for (const s of result.series) lines.push(`- **${s.name}**: ${s.semantics}.`);
  lines.push('', "Issue 22's targets (default stack against etcd's native path):", '');
  for (const [goal, met] of Object.entries(result.goals))
    lines.push(`- ${met ? 'met' : '**not met**'}: ${goal}`);
  return lines.join('\n') + '\n';
}

export function renderSummary(result: StoreResult, source: string): string {
  const r = result.ratios;
  const put = r[ratioKey('redoubt-stack put', 'etcd put', 64)];
  const getS = r[ratioKey('redoubt-stack get quorum', 'etcd get serializable', 64)];
  const getL = r[ratioKey('redoubt-stack get quorum', 'etcd get linearizable', 64)];
  const met = Object.values(result.goals).filter(Boolean).length;
  return (
    `default stack vs 3-member etcd (native gRPC client), one Go driver, c=64: PUT ${put?.throughput ?? '–'}× etcd ` +
    `(p99 ${put?.p99 ?? '–'}×); quorum GET ${getS?.throughput ?? '–'}× etcd serializable, ` +
    `${getL?.throughput ?? '–'}× linearizable; ${met} of ${Object.keys(result.goals).length} targets met ` +
    `(\`${source}\`, generated)`
  );
}

/** Rewrites a file with `update` applied, formatted as the repository's prettier config says. */
async function rewrite(file: string, update: (text: string) => string): Promise<void> {
  const options = (await resolveConfig(file)) ?? {};
  writeFileSync(file, await format(update(readFileSync(file, 'utf8')), { ...options, filepath: file }));
}

/** Rewrites both READMEs' generated parts from `file`. */
export async function writeStoreTables(file: string): Promise<void> {
  const result = JSON.parse(readFileSync(file, 'utf8')) as StoreResult;
  const source = relative(REPO_ROOT, resolve(file));
  const gateway = resolve(REPO_ROOT, 'apps/gateway/README.md');
  const root = resolve(REPO_ROOT, 'README.md');
  await rewrite(gateway, (text) =>
    replaceBetween(text, 'store-bench-table', renderTable(result, source), gateway),
  );
  await rewrite(root, (text) =>
    replaceBetween(text, 'store-bench-summary', renderSummary(result, source), root),
  );
  console.log(`tables in apps/gateway/README.md and README.md regenerated from ${basename(file)}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: tsx bench/store-table.ts <bench/results/store-<ts>.json>');
    process.exit(2);
  }
  await writeStoreTables(resolve(process.cwd(), file));
}
