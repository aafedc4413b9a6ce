/**
 * The linearizability checker's cost on generated histories (src/verify/generated-history.ts): a register
 * run by `clients` concurrent clients, each operation taking effect inside its own interval, 5% of writes
 * timing out (outcome unknown). For each size: the linearizable history, and the same with one read
 * made stale (its value overwritten long before: the search must exhaust every configuration first).
 *
 * npx tsx libs/chaos/bench/linearizability.bench.ts   -> bench/results/linearizability-<ts>.json
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { REPO_ROOT } from '@redoubt/local-stack';
import { checkLinearizability } from '../src/verify/linearizability.js';
import { concurrentHistory, withStaleRead } from '../src/verify/generated-history.js';

const rows = [];
for (const [operations, clients] of [
  [1_000, 4],
  [1_000, 8],
  [2_000, 8],
  [5_000, 8],
  [10_000, 8],
  [2_000, 16],
] as const) {
  const ops = concurrentHistory(operations, clients, 7);
  const ok = checkLinearizability(ops);
  const broken = checkLinearizability(withStaleRead(ops));
  const row = {
    operations,
    clients,
    unknownOutcomes: ops.filter((o) => o.return === null).length,
    linearizable: { verdict: ok.verdict, ms: Math.round(ok.ms), steps: ok.steps },
    staleRead: { verdict: broken.verdict, ms: Math.round(broken.ms), steps: broken.steps },
  };
  console.log(JSON.stringify(row));
  rows.push(row);
}
const at = new Date().toISOString();
const dir = resolve(REPO_ROOT, 'bench/results');
mkdirSync(dir, { recursive: true });
const file = resolve(dir, `linearizability-${at.replaceAll(':', '-').replace('.', '-')}.json`);
writeFileSync(
  file,
  JSON.stringify({ benchmark: 'linearizability-checker', at, maxSteps: 5_000_000, rows }, null, 2) + '\n',
);
console.log(`written: ${file}`);
