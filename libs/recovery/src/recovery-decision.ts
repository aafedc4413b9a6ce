import type { OrchestratorKind, RuntimeAction, RuntimeStatus } from '@redoubt/orchestrator';

export interface DecisionSettings {
  /** A running but unresponsive service (hung, SIGSTOP outside the supervisor) is restarted after this long down. */
  unresponsiveRestartMs: number;
  /** A service the orchestrator is still starting (or backing off) is restarted after this long down. */
  stuckStartingMs: number;
  /**
   * After the monitor started or restarted a service, how long it may boot before "running but not
   * answering" means hung. Without it a service that takes longer than `unresponsiveRestartMs` to boot
   * (a loaded machine) is restarted again and again and never comes back.
   */
  startupGraceMs: number;
}

export const DEFAULT_DECISION_SETTINGS: DecisionSettings = {
  unresponsiveRestartMs: 2_000,
  stuckStartingMs: 60_000,
  startupGraceMs: 10_000,
};

export type Decision = { act: RuntimeAction; reason: string } | { wait: string };

/**
 * What to do about a service that is down, from what the orchestrator says about it:
 *
 * | runtime                        | action                                                              |
 * | ------------------------------ | ------------------------------------------------------------------- |
 * | stopped (killed, stopped, exited, given up on) | start                                               |
 * | paused                         | docker: unpause; local: restart (a SIGSTOPped process)              |
 * | running, cut off a network     | reconnect                                                           |
 * | running, not answering         | restart once down for `unresponsiveRestartMs` (and, when the        |
 * |                                | monitor started it, once `startupGraceMs` passed since)             |
 * | starting / restarting          | wait (the orchestrator is on it); restart after `stuckStartingMs`   |
 * | missing / unknown              | nothing to act on (reported)                                        |
 */
export function decideAction(
  runtime: RuntimeStatus,
  downForMs: number,
  driver: OrchestratorKind,
  settings: DecisionSettings = DEFAULT_DECISION_SETTINGS,
  /** Time since the monitor last started or restarted it in this incident; undefined when it did not. */
  sinceStartedMs?: number,
): Decision {
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
      return driver === 'docker'
        ? { act: 'unpause', reason: `${runtime.name} is paused` }
        : { act: 'restart', reason: `${runtime.name} is stopped (SIGSTOP)` };
    case 'running':
      if (runtime.disconnected.length > 0)
        return { act: 'reconnect', reason: `${runtime.name} is cut off ${runtime.disconnected.join(', ')}` };
      if (sinceStartedMs !== undefined && sinceStartedMs < settings.startupGraceMs)
        return {
          wait: `${runtime.name} was started; giving it ${settings.startupGraceMs} ms to boot and answer`,
        };
      if (downForMs >= settings.unresponsiveRestartMs)
        return {
          act: 'restart',
          reason: `${runtime.name} runs but has not answered for ${Math.round(downForMs / 100) / 10} s`,
        };
      return { wait: `${runtime.name} runs; giving it ${settings.unresponsiveRestartMs} ms to answer` };
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
