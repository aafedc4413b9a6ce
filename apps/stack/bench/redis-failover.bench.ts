/**
 * Redis failover benchmark: the failover drill (src/redis-failover-drill.ts) BENCH_ROUNDS times (default
 * 3), each on a fresh `--redis sentinel` stack in a temporary home: SIGKILL of the Redis master under
 * client writes through two gateways. Reports, per round and as median / worst: time to a new master,
 * time until Redis acknowledges writes again, the longest window of refused Redis writes, the longest
 * window of refused client writes (expected 0: the data path does not wait for Redis), acknowledged writes
 * lost (expected 0), and the time until jobs enqueued after the failover were all processed (queue
 * catch-up). Writes bench/results/redis-failover-<ts>.json. Not a test: nothing here asserts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from '@redoubt/local-stack';
import { runRedisFailoverDrill, type FailoverDrillResult } from '../src/redis-failover-drill.js';

const ROUNDS = Math.max(1, Math.floor(Number(process.env.BENCH_ROUNDS ?? 3)) || 1);

const rounds: FailoverDrillResult[] = [];
const failures: string[] = [];
for (let round = 1; round <= ROUNDS; round += 1) {
  const home = mkdtempSync(join(tmpdir(), 'redoubt-bench-failover-'));
  try {
    const result = await runRedisFailoverDrill({
      home,
      log: (line) => console.log(`  round ${round}: ${line}`),
    });
    rounds.push(result);
    console.log(`round ${round}: ${JSON.stringify(result)}`);
  } catch (error) {
    failures.push(`round ${round}: ${(error as Error).message}`);
    console.log(`round ${round} FAILED: ${(error as Error).message}`);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

const median = (values: number[]) => {
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? null;
};
const figure = (pick: (r: FailoverDrillResult) => number | null) => {
  const values = rounds.map(pick).filter((v): v is number => v !== null && v >= 0);
  return {
    median: median(values),
    worst: values.length ? Math.max(...values) : null,
    rounds: rounds.map(pick),
  };
};
const summary = {
  newMasterMs: figure((r) => r.newMasterMs),
  redisWritableMs: figure((r) => r.redisWritableMs),
  redisRefusalWindowMs: figure((r) => r.redisRefusalWindowMs),
  clientLongestRefusalMs: figure((r) => r.clientWrites.longestRefusalMs),
  queueCaughtUpMs: figure((r) => r.jobs.caughtUpMs),
  oldMasterReplicaMs: figure((r) => r.oldMasterReplicaMs),
  clientWritesAcknowledged: rounds.reduce((n, r) => n + r.clientWrites.acknowledged, 0),
  clientWritesRefused: rounds.reduce((n, r) => n + r.clientWrites.refused, 0),
  acknowledgedWritesLost: rounds.reduce((n, r) => n + r.clientWrites.lost, 0),
};

const dir = resolve(REPO_ROOT, 'bench/results');
mkdirSync(dir, { recursive: true });
const file = join(
  dir,
  `redis-failover-${new Date().toISOString().replaceAll(':', '-').replace('.', '-')}.json`,
);
writeFileSync(
  file,
  JSON.stringify(
    {
      name: 'redis-failover',
      at: new Date().toISOString(),
      machine: { cpus: cpus().length, loadAverage1m: loadavg()[0] },
      setup:
        'redis master + 1 replica + 3 sentinels (down-after 1 s, quorum 2), 3 data nodes, 2 gateways, backup-worker; 4 client writers; 20 repair jobs after the failover',
      summary,
      failures,
      rounds,
    },
    null,
    2,
  ) + '\n',
);
console.log(`\n${JSON.stringify(summary, null, 2)}\nwritten to ${file}`);
