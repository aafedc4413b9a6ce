import type { OrchestratorKind, RuntimeAction, RuntimeStatus } from '@redoubt/orchestrator';

export interface DecisionSettings {
  /** A running but unresponsive service (hung, SIGSTOP outside the supervisor) is restarted after this long down. */
  unresponsiveRestartMs: number;
  /** A service the orchestrator is still starting (or backing off) is restarted after this long down. */
  stuckStartingMs: number;
  /**
   * After a service was started or restarted (by the monitor, or by the orchestrator itself: Docker's
   * restart policy, the supervisor after a crash), how long it may boot before "running but not
   * answering" means hung. Without it a service that takes longer than `unresponsiveRestartMs` to boot
   * (a loaded machine) is restarted again and again and never comes back, and one the restart policy
   * just brought back is restarted on top of its boot.
   */
  startupGraceMs: number;
  /**
   * When more than this share of the watched services fails to answer at the same time, a running but
   * silent service is not restarted (until `stuckStartingMs`): that many hung at once means the machine
   * or the monitor itself is starved (CPU, network), and restarts would only add boots to the load (seen
   * in CI: monitors restarting each other and every data node until nothing was healthy).
   */
  massOutageShare: number;
}

export const DEFAULT_DECISION_SETTINGS: DecisionSettings = {
  unresponsiveRestartMs: 2_000,
  stuckStartingMs: 60_000,
  startupGraceMs: 10_000,
  massOutageShare: 0.5,
};

/** What the monitor knows besides the runtime's status. */
export interface DecisionContext {
  /** Time since the monitor last started or restarted it in this incident; undefined when it did not. */
  sinceStartedMs?: number;
  /** The time the runtime status was read at (its `startedAt` is measured against it). Default now. */
  now?: number;
  /** The share (0..1) of the watched services that do not answer (not up, or failed a probe lately). */
  unansweredShare?: number;
}

export type Decision = { act: RuntimeAction; reason: string } | { wait: string };

/**
 * What to do about a service that is down, from what the orchestrator says about it:
 *
 * | runtime                        | action                                                              |
 * | ------------------------------ | ------------------------------------------------------------------- |
 * | stopped (killed, stopped, exited, given up on) | start                                               |
 * | paused                         | unpause (docker unpause; local: SIGCONT to a SIGSTOPped process)    |
 * | running, cut off a network     | reconnect                                                           |
 * | running, not answering         | restart once down for `unresponsiveRestartMs` and, when it was      |
 * |                                | (re)started lately (by the monitor or the orchestrator), once       |
 * |                                | `startupGraceMs` passed since that start; not while more than       |
 * |                                | `massOutageShare` of all services are silent (until stuck)          |
 * | starting / restarting          | wait (the orchestrator is on it); restart after `stuckStartingMs`   |
 * | missing / unknown              | nothing to act on (reported)                                        |
 */
export function decideAction(
  runtime: RuntimeStatus,
  downForMs: number,
  driver: OrchestratorKind,
  settings: DecisionSettings = DEFAULT_DECISION_SETTINGS,
  context: DecisionContext = {},
): Decision {
  const { sinceStartedMs, now = Date.now(), unansweredShare = 0 } = context;
  switch (runtime.state) {
    case 'unknown':
      return {
        wait:
          driver === 'none'
            ? 'no orchestrator to act through'
            : `the orchestrator did not say (${runtime.detail})`,
      };
    case 'missing':
      return { wait: `the orchestrator has no ${runtime.name}` };
    case 'stopped':
      return { act: 'start', reason: `${runtime.name} is ${runtime.detail}` };
    case 'paused':
      // Resuming is instant and keeps the process and its state; a restart would cost a boot.
      return {
        act: 'unpause',
        reason:
          driver === 'docker' || driver === 'swarm'
            ? `${runtime.name} is paused`
            : `${runtime.name} is stopped (SIGSTOP)`,
      };
    case 'running': {
      if (runtime.disconnected.length > 0)
        return { act: 'reconnect', reason: `${runtime.name} is cut off ${runtime.disconnected.join(', ')}` };
      if (sinceStartedMs !== undefined && sinceStartedMs < settings.startupGraceMs)
        return {
          wait: `${runtime.name} was started; giving it ${settings.startupGraceMs} ms to boot and answer`,
        };
      const bootingMs = runtime.startedAt === null ? undefined : now - runtime.startedAt;
      if (bootingMs !== undefined && bootingMs >= 0 && bootingMs < settings.startupGraceMs)
        return {
          wait: `${runtime.name} was (re)started by the orchestrator lately; giving it ${settings.startupGraceMs} ms to boot and answer`,
        };
      if (unansweredShare > settings.massOutageShare && downForMs < settings.stuckStartingMs)
        return {
          wait: `most services do not answer at once: the machine or the monitor is starved, so ${runtime.name} is not restarted yet`,
        };
      if (downForMs >= settings.unresponsiveRestartMs)
        return {
          act: 'restart',
          reason: `${runtime.name} runs but has not answered for ${Math.round(downForMs / 100) / 10} s`,
        };
      return { wait: `${runtime.name} runs; giving it ${settings.unresponsiveRestartMs} ms to answer` };
    }
    case 'starting':
    case 'restarting':
      if (downForMs >= settings.stuckStartingMs)
        return {
          act: 'restart',
          reason: `${runtime.name} has been ${runtime.detail} for ${Math.round(downForMs / 1000)} s`,
        };
      return { wait: `the orchestrator is bringing ${runtime.name} back (${runtime.detail})` };
  }
}

/** Time before the next action on the same incident: 1 s, 2 s, 4 s ... at most 30 s. */
export function actionBackoffMs(actionsTaken: number): number {
  return Math.min(30_000, 1_000 * 2 ** Math.max(0, actionsTaken - 1));
}
