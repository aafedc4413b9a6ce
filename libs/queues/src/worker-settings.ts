/**
 * Defaults for consumers. The lock is what tells BullMQ a job is still being worked on: it is renewed every
 * lockDuration/2 while the process lives. When a worker is killed (-9, OOM, node lost) the lock expires and
 * the stalled checker, run by any live worker every stalledInterval, moves the job back to wait, so a job
 * killed mid-way runs again from the start. That is why every job here is idempotent.
 *
 * maxStalledCount 3 (BullMQ's default is 1): a repair of a big partition that is killed twice by an unlucky
 * chaos schedule should still run a third time rather than land in failed; a job that truly kills its worker
 * every time still ends up failed (and alerted on) after three stalls.
 */
export const DEFAULT_WORKER_SETTINGS = {
  lockDurationMs: 30_000,
  stalledIntervalMs: 15_000,
  maxStalledCount: 3,
  /** Seconds a worker blocks waiting for a job on an empty queue (BullMQ caps blocking at 10 s). */
  drainDelaySeconds: 5,
} as const;

export const DEFAULT_WATCHDOG_SETTINGS = {
  intervalMs: 5_000,
  stuckAfterMs: 30_000,
  maxRecreations: 3,
  recreationWindowMs: 600_000,
  probeTimeoutMs: 2_000,
} as const;
