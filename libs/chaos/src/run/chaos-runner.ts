import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DataNodeClient, type DataNodeApi } from '@redoubt/cluster-client';
import type { FaultDriver } from '../faults/fault-driver.js';
import type { GrafanaAnnotator } from '../grafana/grafana-annotations.js';
import { steadyStateBroken } from '../guards/steady-state-guard.js';
import { WriteHistory } from '../history/write-history.js';
import { runBuiltinLoad, type LoadRunSummary } from '../load/builtin-load-driver.js';
import { GatewayClient } from '../load/gateway-client.js';
import { runK6Load, type K6Invocation } from '../load/k6-load-runner.js';
import { ClusterState } from '../measure/cluster-state.js';
import { targetReady } from '../measure/health-probe.js';
import type { ChaosMetrics } from '../measure/chaos-metrics.js';
import { LoadTimeline } from '../measure/load-timeline.js';
import type { ChaosReport } from '../report/report-model.js';
import { writeReports } from '../report/report-writers.js';
import type { Scenario } from '../scenario/scenario-schema.js';
import { formatDuration } from '../scenario/duration.js';
import { buildSchedule } from '../schedule/fault-schedule.js';
import { createSeededRandom, randomSeed } from '../schedule/seeded-random.js';
import { readBack } from '../verify/read-back.js';
import { checkReplicaConvergence, type ConvergenceResult } from '../verify/replica-convergence.js';
import { checkRegisters, type RegisterCheckResult } from '../verify/register-checker.js';
import { checkSet, type CheckResult } from '../verify/set-checker.js';
import { startCasWorkload } from './cas-verification.js';
import type { ChaosEnvironment } from './chaos-environment.js';
import { abortableSleep, executeFault, type FaultExecution } from './fault-executor.js';
import { faultReports } from './fault-reports.js';
import { verificationsOf } from './verifications.js';

export interface RunScenarioOptions {
  scenario: Scenario;
  /** Overrides the scenario's seed. */
  seed?: number | string | undefined;
  environment: ChaosEnvironment;
  driver: FaultDriver;
  /** Reports go to `<reportRoot>/<runId>/`. */
  reportRoot: string;
  runId?: string;
  /** k6 to run the load with; undefined: the built-in driver (also when the scenario says `builtin`). */
  k6?: K6Invocation | undefined;
  annotator?: GrafanaAnnotator | undefined;
  log?: (line: string) => void;
  /** Aborting (SIGINT) stops load and faults, heals, verifies what it can and writes the report. */
  signal?: AbortSignal;
  probeIntervalMs?: number;
  /** Beyond a fault's objective, how long to keep watching for its recovery. Default 10 s. */
  recoveryGraceMs?: number;
  /** After healing, how long every target gets to be ready again before verification. Default 60 s. */
  settleMs?: number;
  /** Prometheus series of the run (the chaos dashboard). */
  metrics?: ChaosMetrics | undefined;
}

export interface RunScenarioResult {
  report: ChaosReport;
  dir: string;
  files: { json: string; markdown: string; html: string; history: string };
}

export function newRunId(scenario: string, now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${scenario}-${Math.random().toString(36).slice(2, 6)}`;
}

/**
 * Runs a scenario end to end: load (k6 or the built-in open-model driver) with every write in the
 * history; faults on their schedule through the driver, each behind the quorum guard and measured; the
 * steady-state guard aborting when errors stay beyond tolerance; healing in a finally (also on abort);
 * then the verification (acknowledged writes read back, replicas converge, recovery objectives) and the
 * three reports. Resolves with the report whatever the verdict; rejects only on a bug.
 */
export async function runScenario(options: RunScenarioOptions): Promise<RunScenarioResult> {
  const { scenario, environment, driver } = options;
  const log = options.log ?? (() => undefined);
  const runId = options.runId ?? newRunId(scenario.name);
  const dir = join(options.reportRoot, runId);
  mkdirSync(dir, { recursive: true });
  const seed = options.seed ?? scenario.seed ?? randomSeed();
  const schedule = buildSchedule(scenario, seed);
  const historyFile = join(dir, 'history.jsonl');
  const metrics = options.metrics;
  const history = new WriteHistory(historyFile, (w) => {
    if (w.status !== 'invoked') metrics?.write(w.status);
  });
  const timeline = new LoadTimeline(1000, (op, latencyMs, ok) => metrics?.request(op, latencyMs, ok));
  const cluster = new ClusterState(environment);
  const client = new GatewayClient({
    urls: environment.gateways,
    apiKey: environment.apiKey,
    timeoutMs: scenario.load.timeout,
    connections: Math.max(8, Math.ceil(scenario.load.maxInFlight / Math.max(1, environment.gateways.length))),
  });
  const probeIntervalMs = options.probeIntervalMs ?? 100;
  const stop = new AbortController();
  let aborted: string | null = null;
  const abort = (reason: string) => {
    if (stop.signal.aborted) return;
    aborted = reason;
    log(`ABORT: ${reason}; healing`);
    stop.abort();
  };
  const onOuterAbort = () => abort('interrupted (SIGINT)');
  if (options.signal?.aborted) onOuterAbort();
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });

  const useK6 = scenario.load.engine !== 'builtin' && options.k6 !== undefined;
  const startedAt = Date.now();
  metrics?.runStarted(scenario.name, runId);
  log(
    `run ${runId}: scenario ${scenario.name}, seed ${seed}, ${driver.name} driver, ${useK6 ? 'k6' : 'built-in'} load ` +
      `${scenario.load.rate}/s for ${formatDuration(scenario.load.duration)}, ${schedule.length} faults`,
  );
  for (const fault of schedule) log(`  #${fault.index} at ${formatDuration(fault.at)}: ${fault.name}`);

  const executions: FaultExecution[] = [];
  let load: LoadRunSummary | undefined;
  let healed: string[] = [];
  let loadStartedAt = startedAt;
  const annotations: Promise<unknown>[] = [];
  let casRun: ReturnType<typeof startCasWorkload> | undefined;
  try {
    await driver.inventory(); // the baseline of what runs, before anything is touched
    loadStartedAt = Date.now();
    const loading = useK6
      ? runK6Load({
          invocation: options.k6!,
          profile: scenario.load,
          gateways: environment.gateways,
          apiKey: environment.apiKey,
          runId,
          history,
          timeline,
          summaryFile: join(dir, 'k6-summary.json'),
          signal: stop.signal,
          log,
        })
      : runBuiltinLoad({
          profile: scenario.load,
          client,
          history,
          timeline,
          runId,
          random: createSeededRandom(seed).fork('load'),
          signal: stop.signal,
        });

    const casWorkload = startCasWorkload(scenario, environment.gateways, environment.apiKey, runId);
    casRun = casWorkload;
    const watcher = setInterval(() => {
      if (!scenario.guards.abortOnBrokenSteadyState) return;
      const state = steadyStateBroken(timeline, Date.now(), {
        abortErrorRate: scenario.steadyState.abortErrorRate,
        abortAfterMs: scenario.steadyState.abortAfter,
        bucketMs: timeline.bucketMs,
      });
      if (state.broken) abort(`steady state broken beyond tolerance: ${state.reason}`);
    }, 1000);

    const active = new Set<string>();
    const faultTasks = schedule.map(async (fault) => {
      const startAt = loadStartedAt + Math.max(fault.at, scenario.load.warmup);
      await abortableSleep(startAt - Date.now(), stop.signal);
      const execution = await executeFault(fault, {
        driver,
        environment,
        cluster,
        active,
        probeIntervalMs,
        recoveryGraceMs: options.recoveryGraceMs ?? 10_000,
        signal: stop.signal,
        log,
        onInjected: (target) => metrics?.faultStarted(fault.kind, target.name),
        effect: {
          timeline,
          objectives: { maxErrorRate: scenario.steadyState.maxErrorRate, p99Ms: scenario.steadyState.p99 },
        },
      });
      executions.push(execution);
      const ended = execution.endedAt ?? execution.injectedAt;
      metrics?.faultEnded(
        fault.kind,
        execution.target?.name ?? null,
        execution.outcome,
        execution.probeDetectedAt !== null && execution.injectedAt !== null
          ? execution.probeDetectedAt - execution.injectedAt
          : null,
        execution.probeRecoveredAt !== null && ended !== null
          ? Math.max(0, execution.probeRecoveredAt - ended)
          : null,
      );
      if (options.annotator && execution.injectedAt !== null)
        annotations.push(
          options.annotator.annotate({
            time: execution.injectedAt,
            timeEnd: execution.probeRecoveredAt ?? execution.endedAt ?? execution.injectedAt,
            tags: ['chaos', `run:${runId}`, `kind:${fault.kind}`, `target:${execution.target?.name ?? '?'}`],
            text: `chaos #${fault.index}: ${fault.kind} ${execution.target?.name ?? '?'} (${scenario.name})`,
          }),
        );
    });
    try {
      const [summary] = await Promise.all([loading, Promise.all(faultTasks)]);
      load = summary;
    } finally {
      clearInterval(watcher);
      casWorkload.stop();
    }
  } catch (error) {
    abort(`run error: ${(error as Error).message}`);
  } finally {
    try {
      healed = await driver.healAll();
      for (const line of healed) log(`heal: ${line}`);
    } catch (error) {
      healed = [`healing failed: ${(error as Error).message}`];
      log(healed[0]!);
    }
  }
  options.signal?.removeEventListener('abort', onOuterAbort);
  const loadEndedAt = Date.now();
  history.closeOpen();

  // Everything back up before verifying (bounded).
  const settleDeadline = Date.now() + (options.settleMs ?? 60_000);
  const inventory = await driver.inventory().catch(() => []);
  for (const target of inventory) {
    if (!target.healthUrl) continue;
    while (!(await targetReady(target.healthUrl, 1000)) && Date.now() < settleDeadline)
      await new Promise((resolve) => setTimeout(resolve, 250));
  }

  // Verification, after healing: every acknowledged write reads back; replicas converge.
  let check: CheckResult | undefined;
  let registers: RegisterCheckResult | undefined;
  if (scenario.verify.acknowledgedWrites || scenario.verify.registers) {
    const keys = [...new Set(history.all().map((w) => w.key))];
    log(`verifying: reading back ${keys.length} keys`);
    const reads = await readBack({ client, keys, retryForMs: 30_000 });
    if (scenario.verify.acknowledgedWrites) check = checkSet(history.all(), reads);
    if (scenario.verify.registers) registers = checkRegisters(history.all(), reads);
  }
  const cas = await casRun?.verify(log);
  let convergence: ConvergenceResult | undefined;
  if (scenario.verify.replicasConverge) {
    const placement = await cluster.placement();
    log(`verifying: digests of ${placement.partitions} partitions x ${placement.replicas} replicas`);
    const nodes = new Map<string, DataNodeApi>(
      environment.dataNodes.map((n) => [
        n.id,
        new DataNodeClient({ id: n.id, url: n.url, clusterToken: environment.clusterToken }),
      ]),
    );
    try {
      convergence = await checkReplicaConvergence({
        placement,
        nodes,
        withinMs: scenario.verify.convergeWithin,
      });
    } finally {
      await Promise.all([...nodes.values()].map((n) => n.close().catch(() => undefined)));
    }
  }

  // Measurements: the monitor's events where it has them, the chaos app's probing otherwise.
  const events = await cluster.events().catch(() => []);
  const faults = faultReports(executions, events, timeline, { loadEndedAt, aborted: aborted !== null });
  const faultWindows = faults
    .filter((f) => f.injectedAt !== null)
    .map((f) => [f.injectedAt!, (f.recoveredAt ?? loadEndedAt) + 2000] as const);
  const outsideFaults = timeline.stats(
    (start) => !faultWindows.some(([from, to]) => start + timeline.bucketMs > from && start < to),
  );
  const steadyMet =
    outsideFaults.errorRate <= scenario.steadyState.maxErrorRate &&
    (outsideFaults.p99Ms === null || outsideFaults.p99Ms <= scenario.steadyState.p99);

  const verifications = verificationsOf({
    scenario,
    aborted,
    check,
    registers,
    convergence,
    faults,
    scheduled: schedule.length,
    outsideFaults,
    steadyMet,
    cas,
  });
  await Promise.allSettled(annotations);
  const failures = verifications.filter((v) => !v.passed).map((v) => `${v.name}: ${v.detail}`);
  const endedAt = Date.now();
  const counts = check?.counts;
  const report: ChaosReport = {
    format: 'redoubt.chaos-report',
    version: 1,
    runId,
    scenario: scenario.name,
    description: scenario.description ?? null,
    seed,
    driver: driver.name,
    loadEngine: load?.engine ?? (useK6 ? 'k6' : 'builtin'),
    startedAt: new Date(startedAt).toISOString(),
    endedAt: new Date(endedAt).toISOString(),
    durationMs: endedAt - startedAt,
    verdict: failures.length === 0 ? 'pass' : 'fail',
    failures,
    aborted,
    writes: {
      attempted: history.all().length,
      acknowledged: history.counts().ok,
      lost: counts?.lost ?? 0,
      unknown: history.counts().unknown,
      recoveredUnknown: counts?.recoveredUnknown ?? 0,
      unexpected: counts?.unexpected ?? 0,
      failed: history.counts().failed,
    },
    checker: check
      ? {
          valid: check.valid,
          counts: check.counts,
          lost: check.lost.slice(0, 1000),
          recoveredUnknown: check.recoveredUnknown.slice(0, 1000),
          unexpected: check.unexpected.slice(0, 1000),
          unreadable: check.unreadable.slice(0, 1000),
        }
      : null,
    cas: cas ?? null,
    registers: registers ? { ...registers, lostUpdates: registers.lostUpdates.slice(0, 1000) } : null,
    replicas: convergence
      ? {
          checked: true,
          converged: convergence.converged,
          partitions: convergence.partitions,
          equal: convergence.equal,
          divergent: convergence.divergent.slice(0, 100),
          elapsedMs: convergence.elapsedMs,
        }
      : null,
    faults,
    verifications,
    steadyState: {
      maxErrorRate: scenario.steadyState.maxErrorRate,
      p99Ms: scenario.steadyState.p99,
      outsideFaults,
      met: steadyMet,
    },
    load: {
      rate: scenario.load.rate,
      durationMs: scenario.load.duration,
      arrivals: load?.arrivals ?? 0,
      dropped: load?.dropped ?? 0,
      puts: load?.puts ?? 0,
      gets: load?.gets ?? 0,
      overall: timeline.window(loadStartedAt, loadEndedAt),
      notes: load?.notes ?? [],
    },
    timeline: { bucketMs: timeline.bucketMs, buckets: timeline.series() },
    healed,
    annotations: {
      posted: options.annotator?.posted ?? 0,
      failed: options.annotator?.failed ?? 0,
      url: options.annotator?.url ?? null,
    },
  };
  metrics?.runEnded(scenario.name, runId);
  await history.close();
  await client.close();
  await cluster.close();
  const files = writeReports(dir, report);
  log(`verdict: ${report.verdict.toUpperCase()}${failures.length > 0 ? ` (${failures.join('; ')})` : ''}`);
  log(`report: ${files.html}`);
  return { report, dir, files: { ...files, history: historyFile } };
}
