// Benchmark of @redoubt/hashing (not a test): throughput against the npm `hashring` package (ketama) measured in
// the same run, and balance / movement of the four key-to-server strategies. Writes
// <repo>/bench/results/hashing-<timestamp>.json and prints the tables as markdown.
//
//   npm run bench -w @redoubt/hashing      or      npx nx run @redoubt/hashing:bench
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  measureKetamaReference,
  measurePlacementQuality,
  type QualityRow,
  type ReferenceQualityRow,
} from './placement-quality.js';
import { measureThroughput, type ThroughputRow } from './throughput.js';

const THROUGHPUT_SERVERS = 64;
const THROUGHPUT_KEYS = 1_000_000;
const REFERENCE_KEYS = 100_000; // hashring is ~20x slower; fewer keys keep its passes short
const QUALITY_SERVER_COUNTS = [3, 4, 5, 8, 10, 16, 32, 64];
const QUALITY_KEYS = 1_000_000;
const REFERENCE_QUALITY_SERVER_COUNTS = [10, 64];
const REFERENCE_QUALITY_KEYS = 100_000;

const started = performance.now();
const runAt = new Date();

console.log(`throughput: ${THROUGHPUT_KEYS.toLocaleString('en')} keys, best of 5 passes ...`);
const throughput = measureThroughput(THROUGHPUT_SERVERS, THROUGHPUT_KEYS, REFERENCE_KEYS);
console.log(
  `balance and movement: ${QUALITY_KEYS.toLocaleString('en')} keys, N = ${QUALITY_SERVER_COUNTS.join(', ')} ...`,
);
const quality = measurePlacementQuality(QUALITY_SERVER_COUNTS, QUALITY_KEYS);
console.log(`reference: hashring (ketama), ${REFERENCE_QUALITY_KEYS.toLocaleString('en')} keys ...`);
const referenceQuality = measureKetamaReference(REFERENCE_QUALITY_SERVER_COUNTS, REFERENCE_QUALITY_KEYS);
const seconds = (performance.now() - started) / 1000;

// Installed versions, read from the workspace's node_modules (packages need not export their package.json).
const versionOf = (pkg: string): string =>
  (
    JSON.parse(
      readFileSync(new URL(`../../../node_modules/${pkg}/package.json`, import.meta.url), 'utf8'),
    ) as {
      version: string;
    }
  ).version;

const result = {
  benchmark: 'hashing',
  at: runAt.toISOString(),
  seconds,
  environment: {
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    platform: `${os.platform()} ${os.arch()}`,
    xxhashWasm: versionOf('xxhash-wasm'),
    hashring: versionOf('hashring'),
  },
  parameters: {
    throughputServers: THROUGHPUT_SERVERS,
    throughputKeys: THROUGHPUT_KEYS,
    referenceKeys: REFERENCE_KEYS,
    qualityServerCounts: QUALITY_SERVER_COUNTS,
    qualityKeys: QUALITY_KEYS,
    referenceQualityServerCounts: REFERENCE_QUALITY_SERVER_COUNTS,
    referenceQualityKeys: REFERENCE_QUALITY_KEYS,
  },
  throughput,
  quality,
  referenceQuality,
};

const resultsDir = fileURLToPath(new URL('../../../bench/results/', import.meta.url));
mkdirSync(resultsDir, { recursive: true });
const file = `${resultsDir}hashing-${runAt.toISOString().replace(/[:.]/g, '-')}.json`;
writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);

console.log();
console.log(throughputTable(throughput));
console.log();
console.log(qualityTable([...quality, ...referenceQuality]));
console.log();
console.log(
  `${result.environment.cpu}, ${result.environment.cores} cores, Node ${process.version}; ` +
    `${seconds.toFixed(1)} s; written to ${file}`,
);

function throughputTable(rows: readonly ThroughputRow[]): string {
  const millions = (x: number): string => (x / 1e6).toFixed(2);
  return [
    '| operation | M ops/s (best) | M ops/s (median) | ratio | reference |',
    '| --- | ---: | ---: | ---: | --- |',
    ...rows.map(
      (r) =>
        `| ${r.operation} | ${millions(r.opsPerSecond)} | ${millions(r.medianOpsPerSecond)} | ` +
        `${r.ratioToReference.toFixed(2)}x | ${r.reference} |`,
    ),
  ].join('\n');
}

function qualityTable(rows: readonly (QualityRow | ReferenceQualityRow)[]): string {
  const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
  const vs = (moved: number, minimum: number): string => `${pct(moved)} (${(moved / minimum).toFixed(2)}x)`;
  return [
    '| N | strategy | max/ideal | +1 server: moved (x min) | min 1/(N+1) | -last: moved (x min) | min 1/N | -first: moved (x min) |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.servers} | ${'keys' in r ? `${r.strategy}, ${r.keys / 1000}k keys` : r.strategy} | ${r.maxOverIdeal.toFixed(4)} | ${vs(r.addMoved, r.addMinimum)} | ` +
        `${pct(r.addMinimum)} | ${vs(r.removeLastMoved, r.removeLastMinimum)} | ${pct(r.removeLastMinimum)} | ` +
        `${vs(r.removeFirstMoved, r.removeLastMinimum)} |`,
    ),
  ].join('\n');
}
