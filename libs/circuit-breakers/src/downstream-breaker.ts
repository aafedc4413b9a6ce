import CircuitBreaker from 'opossum';
import { RedoubtError } from '@redoubt/errors';
import { DEFAULT_BREAKER_OPTIONS, type BreakerOptions } from './breaker-options.js';
import { BREAKER_STATE_VALUE, COUNTED_EVENTS, type BreakerMetrics } from './breaker-metrics.js';

export type BreakerState = keyof typeof BREAKER_STATE_VALUE;

/** What the breaker runs: the task gets a signal that aborts when the breaker gives up on it (timeout). */
export type BreakerTask<T> = (signal: AbortSignal) => Promise<T>;

type Fired = [task: BreakerTask<unknown>, controller: AbortController | undefined];

/** Given to tasks when abortOnTimeout is off: never aborts. */
const NEVER_ABORTED = new AbortController().signal;

/**
 * One opossum breaker in front of one downstream (a data node, Redis). A call either runs, or fails fast
 * with CIRCUIT_OPEN (open, or half-open with its one trial call already out), or DOWNSTREAM_SATURATED
 * (capacity reached); a call that takes longer than `timeoutMs` rejects with `timeoutCode` and its signal
 * aborts so the underlying request can be dropped.
 *
 * There is deliberately no fallback: a failed or timed-out call always rejects, so no caller can mistake
 * a failure for a success (a write that timed out may still have landed; the caller must treat it as
 * unknown). Errors are always RedoubtErrors.
 */
export class DownstreamBreaker {
  readonly options: Readonly<BreakerOptions>;
  private readonly breaker: CircuitBreaker<Fired, unknown>;

  constructor(
    readonly downstream: string,
    options: Partial<BreakerOptions> = {},
    metrics?: BreakerMetrics,
  ) {
    this.options = { ...DEFAULT_BREAKER_OPTIONS, ...options };
    const o = this.options;
    this.breaker = new CircuitBreaker<Fired, unknown>(
      (task, controller) => task(controller?.signal ?? NEVER_ABORTED),
      {
        name: downstream,
        timeout: o.timeoutMs,
        errorThresholdPercentage: o.errorThresholdPercentage,
        volumeThreshold: o.volumeThreshold,
        resetTimeout: o.resetTimeoutMs,
        rollingCountTimeout: o.rollingWindowMs,
        rollingCountBuckets: 10,
        capacity: o.capacity,
        errorFilter: (error: unknown) => o.isHealthyError(error),
        rollingPercentilesEnabled: false, // percentiles cost a sort per window; metrics come from our histograms
      },
    );
    // opossum passes the fired arguments to timeout listeners: abort exactly the call that timed out
    // (its own abortController option would be one controller shared by every call).
    this.breaker.on('timeout', ((_error: Error, _latency: number, args: Fired) =>
      args[1]?.abort(
        new RedoubtError(o.timeoutCode, `${downstream} did not answer within ${o.timeoutMs} ms`),
      )) as (error: Error) => void);
    if (metrics) this.export(metrics);
  }

  /** Runs `task` through the breaker. */
  run<T>(task: BreakerTask<T>): Promise<T> {
    const controller = this.options.abortOnTimeout ? new AbortController() : undefined;
    return (this.breaker.fire(task as BreakerTask<unknown>, controller) as Promise<T>).catch(
      (error: unknown) => {
        throw this.translate(error);
      },
    );
  }

  state(): BreakerState {
    if (this.breaker.opened) return 'open';
    if (this.breaker.halfOpen) return 'half-open';
    return 'closed';
  }

  /** True when a call would be attempted now (closed, or half-open and awaiting its trial call). */
  isAvailable(): boolean {
    return !this.breaker.opened;
  }

  /** What a call refused by the open breaker rejects with (for callers that check isAvailable first). */
  openError(): RedoubtError {
    return new RedoubtError('CIRCUIT_OPEN', `the circuit breaker for ${this.downstream} is open`, {
      downstream: this.downstream,
    });
  }

  /** Rolling-window counts, for status pages and tests. */
  stats(): { fires: number; failures: number; timeouts: number; rejects: number; successes: number } {
    const s = this.breaker.stats;
    return {
      fires: s.fires,
      failures: s.failures,
      timeouts: s.timeouts,
      rejects: s.rejects,
      successes: s.successes,
    };
  }

  /** Opens the breaker by hand (an operator taking a node out); it half-opens after the reset timeout. */
  trip(): void {
    this.breaker.open();
  }

  /** Closes the breaker by hand. */
  reset(): void {
    this.breaker.close();
  }

  /** Stops the breaker's timers; later calls reject. */
  shutdown(): void {
    this.breaker.shutdown();
  }

  private translate(error: unknown): unknown {
    const code = (error as { code?: string } | undefined)?.code;
    if (!(error instanceof Error) || !CircuitBreaker.isOurError(error)) return error;
    switch (code) {
      case 'EOPENBREAKER':
        return this.openError();
      case 'ETIMEDOUT':
        return new RedoubtError(
          this.options.timeoutCode,
          `${this.downstream} did not answer within ${this.options.timeoutMs} ms`,
          { downstream: this.downstream, timeoutMs: this.options.timeoutMs },
        );
      case 'ESEMLOCKED':
        return new RedoubtError(
          'DOWNSTREAM_SATURATED',
          `${this.options.capacity} calls to ${this.downstream} are already in flight`,
          { downstream: this.downstream, capacity: this.options.capacity },
        );
      default:
        return new RedoubtError('CIRCUIT_OPEN', `the circuit breaker for ${this.downstream} is shut down`, {
          downstream: this.downstream,
        });
    }
  }

  private export(metrics: BreakerMetrics): void {
    const gauge = metrics.state.labels(this.downstream);
    const setState = () => gauge.set(BREAKER_STATE_VALUE[this.state()]);
    setState();
    for (const event of COUNTED_EVENTS) {
      const counter = metrics.events.labels(this.downstream, event);
      (this.breaker as NodeJS.EventEmitter).on(event, () => counter.inc());
    }
    this.breaker.on('open', setState);
    this.breaker.on('halfOpen', setState);
    this.breaker.on('close', setState);
  }
}
