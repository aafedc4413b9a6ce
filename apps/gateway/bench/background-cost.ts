/**
 * What the default stack's background work costs its foreground: PUT on the `npm start` stack with the
 * backup-worker running (scheduled incremental backups every minute, anti-entropy sweeps) and with it
 * paused (SIGSTOP for the cell, SIGCONT after), beside etcd, in alternating order, all in one run.
 * An experiment for docs/benchmarks/store-fair.md, not part of `npm run bench:store`:
 * `npx tsx bench/background-cost.ts` in apps/gateway (BG_ROUNDS, BG_CONCURRENCY, BG_DURATION_MS).
 * Writes bench/results/store-background-<ts>.json. Not a test.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from '@redoubt/local-stack';
import { startDefaultStack, startEtcd, type RunningSystem } from './fair-targets.js';
import { buildGoDriver, runGoDriver, type GoCell } from './go-driver.js';

const ROUNDS = Number(process.env.BG_ROUNDS ?? 2);
const CONCURRENCY = (process.env.BG_CONCURRENCY ?? '16,64').split(',').map(Number);
const DURATION_MS = Number(process.env.BG_DURATION_MS ?? 15_000);

const dir = mkdtempSync(join(tmpdir(), 'redoubt-bench-background-'));
const systems: RunningSystem[] = [];
try {
  const driver = await buildGoDriver(join(dir, 'driver'));
  const stack = await startDefaultStack(dir);
  systems.push(stack);
  const etcd = await startEtcd(dir);
  systems.push(etcd);
  for (const s of systems) {
    await runGoDriver(driver, [...s.populateArgs, '-op', 'populate', '-concurrency', '64'], s.populateEnv);
  }
  const worker = stack.localStack!.process('backup-worker');
  const variants = [
    { name: 'redoubt-stack put (worker running)', system: stack, pause: false },
    { name: 'redoubt-stack put (worker paused)', system: stack, pause: true },
    { name: 'etcd put', system: etcd, pause: false },
  ];
  const cells: Record<string, unknown>[] = [];
  let index = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    for (const c of CONCURRENCY) {
      const order = index++ % 2 === 0 ? variants : [...variants].reverse();
      for (const v of order) {
        const series = v.system.series.find((s) => s.op === 'put')!;
        if (v.pause) await worker.pause();
        const load = loadavg()[0]!;
        try {
          const cell = await runGoDriver<GoCell>(
            driver,
            [
              ...series.driverArgs,
              '-concurrency',
              String(c),
              '-duration',
              `${DURATION_MS}ms`,
              '-warmup',
              '3s',
            ],
            series.driverEnv,
          );
          cells.push({ series: v.name, round, ...cell, loadAverage: load });
          console.log(
            `${v.name.padEnd(36)} c=${String(c).padEnd(3)} ${Math.round(cell.rps).toString().padStart(6)} req/s  ` +
              `p50 ${cell.p50Ms.toFixed(2)} ms  p99 ${cell.p99Ms.toFixed(2)} ms  errors ${cell.errors}  load ${load.toFixed(1)}`,
          );
        } finally {
          if (v.pause) await worker.resume();
        }
      }
    }
  }
  const now = new Date();
  const file = join(
    resolve(REPO_ROOT, 'bench/results'),
    `store-background-${now.toISOString().replaceAll(':', '-').replace('.', '-')}.json`,
  );
  mkdirSync(resolve(REPO_ROOT, 'bench/results'), { recursive: true });
  writeFileSync(
    file,
    JSON.stringify(
      {
        benchmark: 'store-background',
        at: now.toISOString(),
        parameters: {
          rounds: ROUNDS,
          concurrency: CONCURRENCY,
          durationMsPerCell: DURATION_MS,
          warmupMs: 3_000,
        },
        systems: systems.map((s) => ({ name: s.name, description: s.description })),
        cells,
      },
      null,
      2,
    ) + '\n',
  );
  console.log(`wrote ${file}`);
} finally {
  await Promise.allSettled(systems.map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
}
