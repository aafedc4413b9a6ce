/**
 * `npm run bench:store`: redoubt against a three-member etcd, one compiled driver for both (go-driver/:
 * etcd through its native gRPC client, redoubt through its public HTTP API, the same closed loop), all
 * systems running side by side for the whole run:
 *   - redoubt-stack: what `npm start` runs (two gateways, worker, monitor, info logs);
 *   - redoubt-bench: the benchmark's lean cluster (one gateway, no worker or monitor);
 *   - etcd: three members, clientv3 on the leader.
 * PUT, and GET with its semantics named: redoubt's quorum read (R = 2, newest of the replies) and
 * `consistency: all`, etcd's linearizable and serializable ranges. Each cell (an op at one concurrency) runs
 * every series of that op once, in an order that reverses from one cell to the next (ABBA), each for
 * BENCH_DURATION_MS after its own warm-up; BENCH_ROUNDS rounds; ratios are against etcd in the same cell,
 * medians over rounds. Writes bench/results/store-<ts>.json and regenerates the README tables from it
 * (store-table.ts). The Node driver (store-node-driver.bench.ts) is the second opinion. Not a test.
 */
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  fdatasyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from '@redoubt/local-stack';
import {
  startDefaultStack,
  startEtcd,
  startLeanCluster,
  type Op,
  type RunningSystem,
  type Series,
} from './fair-targets.js';
import { buildGoDriver, goVersion, runGoDriver, type GoCell } from './go-driver.js';
import { cpuPerRequest, cpuSnapshot } from './process-cpu.js';
import { computeRatios, GOALS, medianRatios, type MeasuredCell, type RatioTable } from './store-ratios.js';
import { writeStoreTables } from './store-table.js';

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 20_000);
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 3_000);
const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? '1,16,64,256').split(',').map(Number);
const ROUNDS = Math.max(1, Math.floor(Number(process.env.BENCH_ROUNDS ?? 3)) || 1);
const KEYS = Number(process.env.BENCH_KEYS ?? 10_000);
const OPS = (process.env.BENCH_OPS ?? 'put,get')
  .split(',')
  .filter((o): o is Op => o === 'put' || o === 'get');
/** Systems to run: redoubt-stack, redoubt-bench, etcd (ratios need etcd). */
const SYSTEMS = new Set((process.env.BENCH_SYSTEMS ?? 'redoubt-stack,redoubt-bench,etcd').split(','));
const round2 = (x: number) => Math.round(x * 100) / 100;

/** fdatasync latency of 4 KiB appends in the benchmark's directory: what every durable write pays. */
function measureFsync(dir: string): { filesystem: string; fdatasyncP50Ms: number; fdatasyncP99Ms: number } {
  const file = join(dir, 'fsync-probe');
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(4096, 1);
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    writeSync(fd, block);
    const t0 = performance.now();
    fdatasyncSync(fd);
    times.push(performance.now() - t0);
  }
  closeSync(fd);
  rmSync(file);
  times.sort((a, b) => a - b);
  const fs = spawnSync('stat', ['-f', '-c', '%T', dir], { encoding: 'utf8' }).stdout.trim();
  return {
    filesystem: fs || 'unknown',
    fdatasyncP50Ms: round2(times[100]!),
    fdatasyncP99Ms: round2(times[198]!),
  };
}

async function runCell(driver: string, series: Series, concurrency: number): Promise<MeasuredCell> {
  const before = cpuSnapshot(series.processes());
  const load = loadavg()[0]!;
  const cell = await runGoDriver<GoCell>(
    driver,
    [
      ...series.driverArgs,
      '-concurrency',
      String(concurrency),
      '-duration',
      `${DURATION_MS}ms`,
      '-warmup',
      `${WARMUP_MS}ms`,
      '-keys',
      String(KEYS),
    ],
    series.driverEnv,
  );
  // the snapshot spans the warm-up too: per request of the whole run, warm-up requests estimated at the
  // measured rate
  const requestsWithWarmup = Math.round(cell.requests * (1 + WARMUP_MS / DURATION_MS));
  const cpu = cpuPerRequest(before, cpuSnapshot(series.processes()), requestsWithWarmup);
  delete cpu['load driver']; // the bench process (it supervises the stack); the driver reports its own
  cpu['go driver'] = Math.round(cell.driverCpuMicrosPerRequest);
  const measured: MeasuredCell = {
    series: series.name,
    system: series.system,
    op: series.op,
    concurrency,
    rps: Math.round(cell.rps),
    p50Ms: cell.p50Ms,
    p99Ms: cell.p99Ms,
    maxMs: cell.maxMs,
    requests: cell.requests,
    errors: cell.errors,
    ...(cell.firstError ? { firstError: cell.firstError } : {}),
    cpuMicrosPerRequest: cpu,
    loadAverage: { before: round2(load), after: round2(loadavg()[0]!) },
  };
  console.log(
    `${series.name.padEnd(28)} c=${String(concurrency).padEnd(3)} ${String(measured.rps).padStart(6)} req/s  ` +
      `p50 ${cell.p50Ms.toFixed(2).padStart(6)} ms  p99 ${cell.p99Ms.toFixed(2).padStart(7)} ms  errors ${cell.errors}` +
      `${cell.firstError ? ` (${cell.firstError})` : ''}  cpu us/op ${Object.entries(cpu)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}  load ${measured.loadAverage.before}`,
  );
  return measured;
}

async function main(): Promise<void> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'redoubt-bench-store-'));
  const systems: RunningSystem[] = [];
  try {
    const driver = await buildGoDriver(join(dir, 'driver'));
    const disk = measureFsync(dir);
    console.log(
      `store benchmark: ${ROUNDS} round(s), ${DURATION_MS} ms per cell after ${WARMUP_MS} ms warm-up, ` +
        `concurrency ${CONCURRENCY.join('/')}, ${KEYS} keys, 256-byte values; ${disk.filesystem}, ` +
        `fdatasync p50 ${disk.fdatasyncP50Ms} ms`,
    );
    const starters: Record<string, (d: string) => Promise<RunningSystem>> = {
      'redoubt-stack': startDefaultStack,
      'redoubt-bench': startLeanCluster,
      etcd: startEtcd,
    };
    for (const [name, start] of Object.entries(starters)) {
      if (SYSTEMS.has(name)) systems.push(await start(dir));
    }
    for (const system of systems) {
      const out = await runGoDriver<{ failed: number }>(
        driver,
        [...system.populateArgs, '-op', 'populate', '-concurrency', '64', '-keys', String(KEYS)],
        system.populateEnv,
      );
      if (out.failed > 0)
        throw new Error(`${system.name}: ${out.failed} of ${KEYS} preloading writes failed`);
    }
    const all = systems.flatMap((s) => s.series);
    const cells: (MeasuredCell & { round: number; order: number })[] = [];
    let cellIndex = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      console.log(`\nround ${round} of ${ROUNDS}`);
      for (const op of OPS) {
        for (const concurrency of CONCURRENCY) {
          const series = all.filter((s) => s.op === op);
          if (cellIndex++ % 2 === 1) series.reverse(); // ABBA: no series always first or last
          for (const [order, s] of series.entries()) {
            cells.push({ ...(await runCell(driver, s, concurrency)), round, order });
          }
        }
      }
    }
    const perRound: RatioTable[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      perRound.push(computeRatios(cells.filter((c) => c.round === round)));
    }
    const ratios = medianRatios(perRound);
    const goals = Object.fromEntries(GOALS.map((g) => [g.name, g.met(ratios)]));
    const now = new Date();
    const result = {
      benchmark: 'store',
      version: 2,
      at: now.toISOString(),
      seconds: Math.round((Date.now() - started) / 1000),
      environment: {
        node: process.version,
        go: goVersion(),
        cpu: cpus()[0]?.model ?? 'unknown',
        cores: cpus().length,
        platform: `${process.platform} ${process.arch}`,
        ...disk,
      },
      parameters: {
        durationMsPerCell: DURATION_MS,
        warmupMsPerCell: WARMUP_MS,
        concurrency: CONCURRENCY,
        rounds: ROUNDS,
        keys: KEYS,
        valueBytes: 256,
        driver:
          'go-driver (compiled): closed loop, one goroutine per concurrent request; redoubt: net/http keep-alive pool, one connection per worker; etcd: clientv3, one gRPC connection (HTTP/2)',
        order:
          'all systems running for the whole run; within a cell every series once, order reversed every other cell',
      },
      systems: systems.map((s) => ({ name: s.name, description: s.description })),
      series: all.map((s) => ({ name: s.name, system: s.system, op: s.op, semantics: s.semantics })),
      cells,
      ratios,
      ratiosPerRound: perRound,
      goals,
    };
    const outDir = resolve(REPO_ROOT, 'bench/results');
    mkdirSync(outDir, { recursive: true });
    const file = join(outDir, `store-${now.toISOString().replaceAll(':', '-').replace('.', '-')}.json`);
    writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
    console.log('\nratios (medians over rounds):');
    for (const [name, r] of Object.entries(ratios)) {
      console.log(
        `  ${name.padEnd(58)} throughput ${r.throughput!.toFixed(2)}x  p50 ${r.p50!.toFixed(2)}x  p99 ${r.p99!.toFixed(2)}x`,
      );
    }
    console.log('\ngoals (issue 22):');
    for (const [name, met] of Object.entries(goals)) console.log(`  ${met ? 'met    ' : 'NOT met'} ${name}`);
    console.log(`\nwrote ${file} (${result.seconds} s)`);
    if (process.env.BENCH_WRITE_TABLES !== '0') await writeStoreTables(file);
  } finally {
    await Promise.allSettled(systems.map((s) => s.stop()));
    if (!process.env.KEEP_BENCH_DIR) rmSync(dir, { recursive: true, force: true });
    else console.log(`kept ${dir}`);
  }
}

await main();
