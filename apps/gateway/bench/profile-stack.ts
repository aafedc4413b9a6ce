/**
 * Where the default stack's time goes: starts what `npm start` runs with every Node process profiled by
 * the inspector (cpu-profile-preload.mjs), preloads the keys, drives one operation (PROFILE_OP=put|get, default put) at
 * PROFILE_CONCURRENCY (64) for PROFILE_DURATION_MS (15 s) with the Go driver, stops the stack (a clean exit
 * writes the profiles) and prints each process's CPU per request and its top frames.
 * `npx tsx bench/profile-stack.ts` in apps/gateway; KEEP_BENCH_DIR=1 keeps the .cpuprofile files (for
 * Chrome DevTools). Not a test.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { summariseProfile } from './cpu-profile-summary.js';
import { startDefaultStack } from './fair-targets.js';
import { buildGoDriver, runGoDriver, type GoCell } from './go-driver.js';
import { cpuPerRequest, cpuSnapshot } from './process-cpu.js';

const PRELOAD = fileURLToPath(new URL('./cpu-profile-preload.mjs', import.meta.url));
const OP = process.env.PROFILE_OP === 'get' ? 'get' : 'put';
const CONCURRENCY = Number(process.env.PROFILE_CONCURRENCY ?? 64);
const DURATION_MS = Number(process.env.PROFILE_DURATION_MS ?? 15_000);

const dir = mkdtempSync(join(tmpdir(), 'redoubt-profile-stack-'));
const profiles = join(dir, 'profiles');
mkdirSync(profiles);
const driver = await buildGoDriver(join(dir, 'driver'));
const previous = process.env.NODE_OPTIONS;
process.env.NODE_OPTIONS = `${previous ?? ''} --import ${pathToFileURL(PRELOAD).href}`.trim();
process.env.REDOUBT_CPU_PROFILE_DIR = profiles;
const stack = await startDefaultStack(dir);
delete process.env.REDOUBT_CPU_PROFILE_DIR;
if (previous === undefined) delete process.env.NODE_OPTIONS;
else process.env.NODE_OPTIONS = previous;
const names = new Map<number, string>();
try {
  const series = stack.series.find((s) => s.op === OP && !s.name.endsWith('all'))!;
  await runGoDriver(
    driver,
    [...stack.populateArgs, '-op', 'populate', '-concurrency', '64'],
    stack.populateEnv,
  );
  const perProcess = () => {
    const groups: Record<string, (number | undefined)[]> = {};
    for (const [group, pids] of Object.entries(series.processes())) {
      pids.forEach((pid, i) => {
        groups[`${group} #${i + 1}`] = [pid];
        if (pid !== undefined) names.set(pid, `${group} #${i + 1}`);
      });
    }
    return groups;
  };
  const before = cpuSnapshot(perProcess());
  const cell = await runGoDriver<GoCell>(
    driver,
    [
      ...series.driverArgs,
      '-concurrency',
      String(CONCURRENCY),
      '-duration',
      `${DURATION_MS}ms`,
      '-warmup',
      '2s',
    ],
    series.driverEnv,
  );
  const cpu = cpuPerRequest(
    before,
    cpuSnapshot(perProcess()),
    Math.round(cell.requests * (1 + 2_000 / DURATION_MS)),
  );
  console.log(
    `${series.name} c=${CONCURRENCY}: ${Math.round(cell.rps)} req/s, p50 ${cell.p50Ms} ms, p99 ${cell.p99Ms} ms`,
  );
  console.log('CPU us per request by process:', cpu);
} finally {
  // stack.processes() has the names; map pids before they exit
  await stack.stop();
}
for (const file of readdirSync(profiles).filter(
  (f) => f.endsWith('.cpuprofile') && f.split('.')[4] === '0',
)) {
  const summary = summariseProfile(join(profiles, file), 12);
  if (summary.samples < 2_000) continue; // idle processes (redis helpers, s3rver)
  const pid = Number(file.split('.')[3]);
  console.log(`\n${names.get(pid) ?? 'other'} ${file} (${summary.samples} samples): by area`);
  for (const a of summary.byArea) console.log(`  ${a.selfPercent.toFixed(1).padStart(5)}%  ${a.frame}`);
  console.log('  top functions:');
  for (const f of summary.topSelf) console.log(`  ${f.selfPercent.toFixed(1).padStart(5)}%  ${f.frame}`);
}
if (process.env.KEEP_BENCH_DIR) console.log(`kept ${dir}`);
else rmSync(dir, { recursive: true, force: true });
