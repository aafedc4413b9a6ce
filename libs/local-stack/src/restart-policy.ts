/**
 * When and how often a crashed process is started again. A crash soon after a start ("rapid") counts
 * towards giving up; a process that ran longer than the window before crashing starts a fresh count, so a
 * service that crashes once a day is restarted for ever while one that cannot start is given up on quickly.
 */
export interface RestartPolicy {
  /** Delay before the first restart after a crash. */
  initialDelayMs: number;
  /** Each further rapid crash multiplies the delay by `factor`, up to `maxDelayMs`. */
  factor: number;
  maxDelayMs: number;
  /** A crash within this long of the (re)start is rapid. */
  rapidCrashWindowMs: number;
  /** Give up after this many rapid crashes in a row (the process then stays down, state `failed`). */
  maxRapidCrashes: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  initialDelayMs: 500,
  factor: 2,
  maxDelayMs: 15_000,
  rapidCrashWindowMs: 30_000,
  maxRapidCrashes: 5,
};

/** The wait before restart number `consecutiveCrashes` (1 = the first crash in a row). */
export function restartDelay(policy: RestartPolicy, consecutiveCrashes: number): number {
  const exponent = Math.max(0, consecutiveCrashes - 1);
  return Math.min(policy.maxDelayMs, Math.round(policy.initialDelayMs * policy.factor ** exponent));
}
