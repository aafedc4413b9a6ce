/**
 * How the monitor judges a service:
 * - `unknown`: not probed yet
 * - `up`: the last probe(s) answered
 * - `suspect`: a probe failed; one failure may be a slow moment
 * - `down`: failed `failuresToDown` probes in a row, or failed in a way that leaves no doubt (nothing
 *   listens: connection refused, the name no longer resolves), or the orchestrator reported it gone
 * - `dead`: down for longer than the grace period (`deadAfterMs`); for a data node this is when its
 *   partitions are re-placed elsewhere
 */
export type HealthState = 'unknown' | 'up' | 'suspect' | 'down' | 'dead';

export interface HealthPolicy {
  /** Consecutive failed probes that make a service down. Default 2. */
  failuresToDown: number;
  /** Consecutive good probes that make a suspect/down/dead service up again. Default 1. */
  successesToUp: number;
  /** How long down turns into dead. Default 60000. */
  deadAfterMs: number;
}

export const DEFAULT_HEALTH_POLICY: HealthPolicy = {
  failuresToDown: 2,
  successesToUp: 1,
  deadAfterMs: 60_000,
};

/** A change of state, with what is known about when the fault happened. */
export interface HealthTransition {
  target: string;
  from: HealthState;
  to: HealthState;
  at: number;
  /** The last good probe before this (null if never): the fault happened after it. */
  lastOkAt: number | null;
  /** The first failure of the current run of failures (null when going up). */
  firstFailureAt: number | null;
  /** Since when the service is down (null unless down or dead). */
  downSince: number | null;
  cause: string;
}

export interface HealthSnapshot {
  target: string;
  state: HealthState;
  since: number;
  lastOkAt: number | null;
  lastFailureAt: number | null;
  downSince: number | null;
  consecutiveFailures: number;
  lastError: string | null;
  latencyMs: number | null;
}

/**
 * The state machine of one service, fed with probe results and outside reports, in time order. Pure: it
 * reads no clock (every call carries its time), so it is tested without waiting.
 */
export class HealthTracker {
  private state: HealthState = 'unknown';
  private since: number;
  private lastOkAt: number | null = null;
  private lastFailureAt: number | null = null;
  private firstFailureAt: number | null = null;
  private downSince: number | null = null;
  private failures = 0;
  private successes = 0;
  private lastError: string | null = null;
  private latencyMs: number | null = null;

  constructor(
    readonly target: string,
    private readonly policy: HealthPolicy = DEFAULT_HEALTH_POLICY,
    createdAt = 0,
  ) {
    this.since = createdAt;
  }

  get current(): HealthState {
    return this.state;
  }

  snapshot(): HealthSnapshot {
    return {
      target: this.target,
      state: this.state,
      since: this.since,
      lastOkAt: this.lastOkAt,
      lastFailureAt: this.lastFailureAt,
      downSince: this.downSince,
      consecutiveFailures: this.failures,
      lastError: this.lastError,
      latencyMs: this.latencyMs,
    };
  }

  success(at: number, latencyMs?: number): HealthTransition | undefined {
    this.lastOkAt = at;
    this.latencyMs = latencyMs ?? null;
    this.successes += 1;
    this.failures = 0;
    if (this.state === 'up') return undefined;
    if (this.state !== 'unknown' && this.successes < this.policy.successesToUp) return undefined;
    this.firstFailureAt = null;
    this.downSince = null;
    this.lastError = null;
    return this.move('up', at, 'probe answered');
  }

  /** A failed probe; `definitive` when it leaves no doubt that nothing serves (connection refused). */
  failure(at: number, cause: string, definitive = false): HealthTransition | undefined {
    this.lastFailureAt = at;
    this.lastError = cause;
    this.successes = 0;
    this.failures += 1;
    this.firstFailureAt ??= at;
    if (this.state === 'down' || this.state === 'dead') return this.tick(at);
    if (definitive || this.failures >= this.policy.failuresToDown) return this.goDown(at, cause);
    if (this.state === 'suspect') return undefined;
    return this.move('suspect', at, cause);
  }

  /** The orchestrator (or another source) reports the service gone: down at once. */
  reportGone(at: number, cause: string): HealthTransition | undefined {
    this.lastError = cause;
    this.successes = 0;
    this.firstFailureAt ??= at;
    if (this.state === 'down' || this.state === 'dead') return undefined;
    return this.goDown(at, cause);
  }

  /** Time passing: down turns dead after the grace period. */
  tick(at: number): HealthTransition | undefined {
    if (this.state === 'down' && this.downSince !== null && at - this.downSince >= this.policy.deadAfterMs) {
      return this.move('dead', at, `down for ${Math.round((at - this.downSince) / 1000)} s`);
    }
    return undefined;
  }

  private goDown(at: number, cause: string): HealthTransition | undefined {
    this.downSince = at;
    return this.move('down', at, cause);
  }

  private move(to: HealthState, at: number, cause: string): HealthTransition {
    const from = this.state;
    this.state = to;
    this.since = at;
    return {
      target: this.target,
      from,
      to,
      at,
      lastOkAt: this.lastOkAt,
      firstFailureAt: to === 'up' ? null : this.firstFailureAt,
      downSince: this.downSince,
      cause,
    };
  }
}
