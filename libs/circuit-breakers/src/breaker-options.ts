import type { RedoubtError } from '@redoubt/errors';

/** How one downstream's breaker behaves. Every field has a default (see DEFAULT_BREAKER_OPTIONS). */
export interface BreakerOptions {
  /** A call that has not settled after this long fails with `timeoutCode` and counts against the breaker. */
  timeoutMs: number;
  /** Open when more than this percentage of calls in the rolling window failed. */
  errorThresholdPercentage: number;
  /** Calls needed in the rolling window before the breaker may open (one early error must not open it). */
  volumeThreshold: number;
  /** How long the breaker stays open before it lets one trial call through (half-open). */
  resetTimeoutMs: number;
  /** Length of the rolling statistics window. */
  rollingWindowMs: number;
  /** Calls allowed in flight at once; more fail fast with DOWNSTREAM_SATURATED (bounded concurrency). */
  capacity: number;
  /**
   * Give each call its own AbortSignal that aborts when the call times out (so the request can be
   * dropped). A downstream client that enforces its own per-call deadline can turn this off and save an
   * AbortController per call; the task then gets a signal that never aborts.
   */
  abortOnTimeout: boolean;
  /** Code of the RedoubtError a timed-out call rejects with (its kind should be 'timeout'). */
  timeoutCode: 'REPLICA_TIMEOUT' | 'QUEUE_UNAVAILABLE';
  /**
   * Errors that say nothing about the downstream's health (the caller's own bad input, a missing record):
   * they are passed through without counting as failures. Default: RedoubtErrors of kind invalid,
   * not_found and conflict.
   */
  isHealthyError: (error: unknown) => boolean;
}

function isCallersFault(error: unknown): boolean {
  const kind = (error as RedoubtError | undefined)?.kind;
  return kind === 'invalid' || kind === 'not_found' || kind === 'conflict';
}

export const DEFAULT_BREAKER_OPTIONS: Readonly<BreakerOptions> = Object.freeze({
  timeoutMs: 2_000,
  errorThresholdPercentage: 50,
  volumeThreshold: 5,
  resetTimeoutMs: 3_000,
  rollingWindowMs: 10_000,
  capacity: 4_096,
  abortOnTimeout: true,
  timeoutCode: 'REPLICA_TIMEOUT',
  isHealthyError: isCallersFault,
});
