// Benchmark of @redoubt/placement (not a test): build speed against a naive greedy loop measured in the same
// run, balance against the ideal and against the best the zone rule permits, and data movement on membership
// changes against the lower bound. Writes <repo>/bench/results/placement-<timestamp>.json and prints the
// tables as markdown (the README carries them).
//
//   npx nx run @redoubt/placement:bench      or      npm run bench -w @redoubt/placement
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { measureEqualBalance, measureUnequalBalance, type EqualBalanceRow } from './balance.js';
import { measureBuildSpeed } from './build-speed.js';
import { measureCodec } from './codec-size.js';
import {
  measureBackupChanges,
  measureMembershipChanges,
  measureRandomChanges,
  type MovementRow,
} from './movement.js';

const TIMED_RUNS = 7;
const RANDOM_CHANGE_CASES = 200;
const started = performance.now();
const runAt = new Date();

console.log(`build speed: median of ${TIMED_RUNS} runs, naive greedy in the same run ...`);
const buildSpeed = measureBuildSpeed(TIMED_RUNS);
console.log('balance: P = 4096, R = 3, T = 3..64 ...');
const equalBalance = measureEqualBalance();
const unequalBalance = measureUnequalBalance();
console.log('movement: one server in or out, T = 4..64, and the backup matrix ...');
const membership = measureMembershipChanges();
const backup = measureBackupChanges();
console.log(`movement: ${RANDOM_CHANGE_CASES} random weighted/zoned changes ...`);
const randomChanges = measureRandomChanges(RANDOM_CHANGE_CASES);
const codec = measureCodec();
const seconds = (performance.now() - started) / 1000;

const worst = <T>(rows: T[], key: (row: T) => number): number => Math.max(...rows.map(key));
const summary = {
  buildMillionByFiveMs: buildSpeed[0]!.buildMs,
  buildMillionByFiveTargetMs: 200,
  naiveGreedyMillionByFiveMs: buildSpeed[0]!.naiveMs,
  speedupOverNaive: buildSpeed[0]!.speedup,
  worstMaxOverIdealEqualZones: worst(equalBalance, (r) => r.maxOverIdeal),
  worstRatioToBestUnequalZones: worst(unequalBalance, (r) => r.ratioToBest),
  balanceTarget: 1.01,
  worstMovementRatio: worst([...membership, ...backup], (r) => r.ratio),
  movementTarget: 1.02,
};

const result = {
  benchmark: 'placement',
  at: runAt.toISOString(),
  seconds,
  environment: {
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    platform: `${os.platform()} ${os.arch()}`,
    loadAverage: os.loadavg(),
  },
  summary,
  buildSpeed,
  equalBalance,
  unequalBalance,
  membership,
  backup,
  randomChanges,
  codec,
};

const resultsDir = fileURLToPath(new URL('../../../bench/results/', import.meta.url));
mkdirSync(resultsDir, { recursive: true });
const file = `${resultsDir}placement-${runAt.toISOString().replace(/[:.]/g, '-')}.json`;
writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);

const f = (x: number, digits = 4) => x.toFixed(digits);
const ms = (x: number) => `${x.toFixed(1)} ms`;
const table = (header: string[], rows: Array<Array<string | number>>) =>
  [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');

const SHOWN_T = new Set([3, 4, 5, 6, 8, 10, 12, 16, 24, 32, 48, 64]);
const equalByT = new Map<number, EqualBalanceRow[]>();
for (const row of equalBalance) equalByT.set(row.servers, [...(equalByT.get(row.servers) ?? []), row]);
const movementByT = (rows: MovementRow[]) => rows.filter((r) => SHOWN_T.has(r.servers));

console.log(`\n### Build speed (R = 3, median of ${TIMED_RUNS})\n`);
console.log(
  table(
    ['case', 'build', 'naive greedy', 'speed-up', 'target', 'valid'],
    buildSpeed.map((r) => [
      r.case,
      ms(r.buildMs),
      r.naiveMs === null ? '-' : ms(r.naiveMs),
      r.speedup === null ? '-' : `${r.speedup.toFixed(1)}x`,
      r.targetMs === null ? '-' : `< ${r.targetMs} ms`,
      r.valid ? 'yes' : 'NO',
    ]),
  ),
);
console.log('\n### Balance, equal weights (P = 4096, R = 3): max column load / ideal (target <= 1.01)\n');
console.log(
  table(
    ['T', 'own zones', '3 equal zones', '4 equal zones', 'max primaries / ideal (own zones)'],
    [...equalByT.entries()]
      .filter(([t]) => SHOWN_T.has(t))
      .map(([t, rows]) => {
        const cell = (zones: string) => {
          const row = rows.find((r) => r.zones === zones);
          return row === undefined ? '-' : f(row.maxOverIdeal);
        };
        return [t, cell('own'), cell('3 equal'), cell('4 equal'), f(rows[0]!.maxPrimaryOverIdeal)];
      }),
  ),
);
console.log(`\nWorst over all T = 3..64 and layouts: ${f(summary.worstMaxOverIdealEqualZones)}`);
console.log(
  '\n### Balance, unequal zones (P = 4096, equal weights): against the best the zone rule permits\n',
);
console.log(
  table(
    ['zone sizes', 'R', 'max load / ideal', 'best possible', 'ratio to best (target <= 1.01)', 'valid'],
    unequalBalance.map((r) => [
      r.zoneSizes.join(', '),
      r.replicas,
      f(r.maxOverIdeal),
      f(r.bestPossible),
      f(r.ratioToBest),
      r.valid ? 'yes' : 'NO',
    ]),
  ),
);
console.log('\n### Movement: changed replicas / minimum (target <= 1.02)\n');
console.log(
  table(
    ['case', 'T', 'P', 'change', 'changed', 'minimum', 'ratio', 'rebalance'],
    [...movementByT(membership), ...backup].map((r) => [
      r.case,
      r.servers,
      r.partitions,
      r.change,
      r.changed,
      r.minimum,
      f(r.ratio),
      ms(r.rebalanceMs),
    ]),
  ),
);
console.log(`\nWorst over all T = 4..64, both layouts, add and remove: ${f(summary.worstMovementRatio)}`);
console.log(
  `\nRandom unequal zones and weights, one change each (${randomChanges.cases} cases, not a target): ` +
    `${randomChanges.exact} at the lower bound, median ${f(randomChanges.median)}, ` +
    `p95 ${f(randomChanges.p95)}, max ${f(randomChanges.max)}`,
);
console.log('\n### Serialised size (R = 3)\n');
console.log(
  table(
    ['case', 'binary', 'JSON', 'dense float64 P x T', 'encode + decode, both forms'],
    codec.map((r) => [
      r.case,
      `${(r.binaryBytes / 1024).toFixed(0)} KiB`,
      `${(r.jsonBytes / 1024).toFixed(0)} KiB`,
      `${(r.denseFloatBytes / 1024).toFixed(0)} KiB`,
      ms(r.roundTripMs),
    ]),
  ),
);
console.log(`\n${seconds.toFixed(1)} s, load average ${os.loadavg()[0]!.toFixed(2)}; results: ${file}`);
