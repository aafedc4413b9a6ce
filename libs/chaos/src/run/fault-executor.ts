import { partitionsOf } from '@redoubt/placement';
import type { FaultDriver, FaultParams } from '../faults/fault-driver.js';
import { checkQuorumGuard } from '../guards/quorum-guard.js';
import type { ClusterState } from '../measure/cluster-state.js';
import { effectDetectRecover, type EffectObjectives } from '../measure/effect-probe.js';
import { FaultProbe, probeDetectRecover } from '../measure/fault-probe.js';
import type { LoadTimeline } from '../measure/load-timeline.js';
import { EFFECT_FAULTS, TIMED_FAULTS } from '../scenario/scenario-schema.js';
import { targetReady } from '../measure/health-probe.js';
import type { ScheduledFault } from '../schedule/fault-schedule.js';
import type { ChaosTarget } from '../targets/chaos-target.js';
import { resolveTarget } from '../targets/target-resolver.js';
import type { ChaosEnvironment } from './chaos-environment.js';

/** What happened to one fault, before the run's measurements (monitor events, load) are added. */
export interface FaultExecution {
  fault: ScheduledFault;
  target: ChaosTarget | undefined;
  outcome: 'injected' | 'refused' | 'unsupported' | 'failed' | 'skipped';
  reason: string | null;
  injectedAt: number | null;
  endedAt: number | null;
  /** The chaos app's own probing (or, for `measuredBy: load`, the load's view). */
  probeDetectedAt: number | null;
  probeRecoveredAt: number | null;
  /**
   * `probe`: the target's health and process; `load`: what clients saw (a link between two services or a
   * clock: the target keeps answering its health checks, docs/chaos.md "Detect and recover").
   */
  measuredBy: 'probe' | 'load';
  /** Link faults: the other end (undefined: every peer). */
  peer?: ChaosTarget | undefined;
}

export interface FaultExecutorContext {
  driver: FaultDriver;
  environment: ChaosEnvironment;
  cluster: ClusterState;
  /** Names of targets under a fault right now (shared by concurrent faults, for the quorum guard). */
  active: Set<string>;
  probeIntervalMs: number;
  /** Extra wait for recovery beyond the fault's objective before giving up on it. */
  recoveryGraceMs: number;
  signal: AbortSignal;
  log: (line: string) => void;
  /** Told when the fault is injected (the chaos metrics' active-fault gauge). */
  onInjected?: (target: ChaosTarget) => void;
  /** The load and its objectives, for faults measured by what clients see. */
  effect?: { timeline: LoadTimeline; objectives: EffectObjectives };
}

export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

async function liveDataNodes(context: FaultExecutorContext): Promise<Set<string>> {
  const nodes = context.environment.dataNodes;
  const ready = await Promise.all(nodes.map((n) => targetReady(n.url, 1000)));
  const active = context.active;
  return new Set(
    nodes.filter((n, i) => ready[i] && !active.has(n.name) && !active.has(n.id)).map((n) => n.id),
  );
}

/**
 * One fault's life: resolve its target, ask the quorum guard, inject, hold it for its duration and undo
 * it, then watch the target until it serves again (or the objective plus a grace period has passed).
 * Never throws: every problem becomes the execution's outcome and reason.
 */
export async function executeFault(
  fault: ScheduledFault,
  context: FaultExecutorContext,
): Promise<FaultExecution> {
  const { driver, cluster, signal, log } = context;
  const execution: FaultExecution = {
    fault,
    target: undefined,
    outcome: 'skipped',
    reason: null,
    injectedAt: null,
    endedAt: null,
    probeDetectedAt: null,
    probeRecoveredAt: null,
    measuredBy:
      EFFECT_FAULTS.includes(fault.kind) &&
      (fault.kind === 'clock-skew' || fault.link?.peer !== undefined) &&
      context.effect !== undefined
        ? 'load'
        : 'probe',
  };
  if (signal.aborted) {
    execution.reason = 'the run was aborted before this fault';
    return execution;
  }
  if (!driver.supports(fault.kind)) {
    execution.outcome = 'unsupported';
    execution.reason = `the ${driver.name} driver cannot ${fault.kind}`;
    return execution;
  }
  try {
    execution.target = await resolveTarget(fault.target, fault.pick, {
      inventory: await driver.inventory(),
      partitionCounts: async () => {
        const placement = await cluster.placement();
        return new Map(placement.servers.map((s) => [s.id, partitionsOf(placement, s.id).length]));
      },
      leader: () => cluster.leader(),
    });
    if (fault.link?.peer)
      execution.peer = await resolveTarget(fault.link.peer, fault.pick, {
        inventory: (await driver.inventory()).filter((t) => t.name !== execution.target?.name),
        partitionCounts: async () => new Map(),
        leader: () => cluster.leader(),
      });
  } catch (error) {
    execution.outcome = 'failed';
    execution.reason = `no target: ${(error as Error).message}`;
    return execution;
  }
  const target = execution.target;
  const params: FaultParams = {
    peer: execution.peer,
    direction: fault.link?.direction ?? 'both',
    loss: fault.link?.loss,
    skewMs: fault.skewMs,
  };

  if (target.role === 'data' && !fault.allowBelowWriteQuorum) {
    const placement = await cluster.placement();
    if (!placement.servers.some((server) => server.id === (target.id ?? target.name))) {
      execution.outcome = 'refused';
      execution.reason =
        `the quorum guard cannot tell which partitions ${target.name} holds: it is not a server of the placement ` +
        '(give the container a com.redoubt.id label, or a DATA_NODES URL whose host is its service name)';
      log(`fault #${fault.index} ${fault.kind} ${target.name}: REFUSED: ${execution.reason}`);
      return execution;
    }
    const verdict = checkQuorumGuard({
      placement,
      writeQuorum: context.environment.writeQuorum,
      live: await liveDataNodes(context),
      target: target.id ?? target.name,
    });
    if (!verdict.allowed) {
      execution.outcome = 'refused';
      execution.reason = verdict.reason;
      log(
        `fault #${fault.index} ${fault.kind} ${target.name}: REFUSED by the quorum guard: ${verdict.reason}`,
      );
      return execution;
    }
  }

  const activeNames = [target.name, ...(target.id ? [target.id] : [])];
  for (const name of activeNames) context.active.add(name);
  const probe = new FaultProbe(target, driver, context.probeIntervalMs);
  try {
    const before = await probe.start();
    execution.injectedAt = Date.now();
    log(`fault #${fault.index}: ${fault.kind} ${target.name}`);
    try {
      await driver.inject(fault.kind, target, params);
    } catch (error) {
      execution.outcome = 'failed';
      execution.reason = `injection failed: ${(error as Error).message}`;
      log(`fault #${fault.index}: ${execution.reason}`);
      return execution;
    }
    execution.outcome = 'injected';
    context.onInjected?.(target);
    const injectedAt = execution.injectedAt;
    const effect = context.effect;
    const measure = () =>
      execution.measuredBy === 'load' && effect
        ? effectDetectRecover(
            effect.timeline.completedBuckets(Date.now()),
            effect.timeline.bucketMs,
            effect.objectives,
            injectedAt,
            execution.endedAt,
          )
        : probeDetectRecover(fault.kind, probe.samples, before, injectedAt, execution.endedAt ?? injectedAt);
    const recovered = () => measure().recoveredAt !== null;

    if (fault.duration !== undefined) {
      const lasting = TIMED_FAULTS.includes(fault.kind);
      const until = injectedAt + fault.duration;
      // A stopped/killed target may be brought back by the monitor before its duration is up.
      while (Date.now() < until && !signal.aborted && (lasting || !recovered()))
        await abortableSleep(Math.min(context.probeIntervalMs, until - Date.now()), signal);
      if (!lasting && recovered()) execution.endedAt = injectedAt;
      else {
        try {
          await driver.undo(fault.kind, target, params);
        } catch (error) {
          log(
            `fault #${fault.index}: undo failed (healing at the end will retry): ${(error as Error).message}`,
          );
        }
        execution.endedAt = Date.now();
      }
    } else execution.endedAt = Date.now();

    const deadline = execution.endedAt + fault.recoverWithin + context.recoveryGraceMs;
    while (!recovered() && Date.now() < deadline && !signal.aborted)
      await abortableSleep(context.probeIntervalMs, signal);
    await probe.stop();
    const measured = measure();
    execution.probeDetectedAt = measured.detectedAt;
    execution.probeRecoveredAt = measured.recoveredAt;
    log(
      `fault #${fault.index}: ${target.name} ` +
        (execution.measuredBy === 'load' && measured.detectedAt === null
          ? 'clients saw no effect beyond the steady-state objectives'
          : probeVerdict(measured, execution.endedAt, deadline)),
    );
    return execution;
  } finally {
    await probe.stop();
    for (const name of activeNames) context.active.delete(name);
  }
}

/** What the console says the probe saw; the report's objective check uses the monitor's timings too. */
export function probeVerdict(
  measured: { detectedAt: number | null; recoveredAt: number | null },
  endedAt: number,
  deadline: number,
): string {
  if (measured.recoveredAt !== null)
    return `serves again ${measured.recoveredAt - endedAt} ms after the fault ended`;
  if (measured.detectedAt === null)
    return "was never seen out of service by the probe (undone between two probes, e.g. by the monitor; the report has the monitor's timings)";
  return `did not serve again within ${Math.round((deadline - endedAt) / 100) / 10} s of the fault's end`;
}
