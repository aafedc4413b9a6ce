import type { TimelineBucket } from './load-timeline.js';

/** The steady-state objectives a one-second bucket of the load is held to. */
export interface EffectObjectives {
  maxErrorRate: number;
  p99Ms: number;
}

export interface EffectMeasurement {
  /** End of the first bucket (from the injection on) whose load broke the objectives; null: no effect seen. */
  detectedAt: number | null;
  /**
   * Start of the first bucket after the fault ended (and after the detection) whose load met the objectives
   * again; the fault's end itself when nothing was ever seen (clients noticed nothing); null: not yet.
   */
  recoveredAt: number | null;
}

const broken = (b: TimelineBucket, o: EffectObjectives) =>
  b.requests > 0 && (b.errors / b.requests > o.maxErrorRate || (b.p99 !== null && b.p99 > o.p99Ms));

/** Buckets before the injection that make the baseline. */
const BASELINE_BUCKETS = 10;

const median = (values: number[]): number | null => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

/**
 * What a bucket is held to: the steady-state objectives, or twice what the load did in the ten seconds
 * before the fault when that is worse (a machine busy with other work has a slower normal; the fault's
 * effect is what it adds to that, not the machine's own state).
 */
export function effectThresholds(
  buckets: readonly TimelineBucket[],
  objectives: EffectObjectives,
  injectedAt: number,
): EffectObjectives {
  const before = buckets.filter((b) => b.start < injectedAt && b.requests > 0).slice(-BASELINE_BUCKETS);
  const p99 = median(before.map((b) => b.p99).filter((v): v is number => v !== null));
  const errorRate = median(before.map((b) => b.errors / b.requests));
  return {
    maxErrorRate: Math.max(objectives.maxErrorRate, 2 * (errorRate ?? 0)),
    p99Ms: Math.max(objectives.p99Ms, 2 * (p99 ?? 0)),
  };
}

/**
 * Detection and recovery of a fault whose target keeps answering its health checks (a slow or cut link
 * between two services, a skewed clock): what the clients see. Buckets are the load timeline's completed
 * one-second buckets, held to `effectThresholds`; a bucket without requests proves nothing either way and
 * is skipped.
 */
export function effectDetectRecover(
  buckets: readonly TimelineBucket[],
  bucketMs: number,
  objectives: EffectObjectives,
  injectedAt: number,
  endedAt: number | null,
): EffectMeasurement {
  const thresholds = effectThresholds(buckets, objectives, injectedAt);
  const during = buckets.filter((b) => b.start + bucketMs > injectedAt && b.requests > 0);
  const first = during.find((b) => broken(b, thresholds) && (endedAt === null || b.start < endedAt));
  const detectedAt = first ? Math.max(injectedAt, first.start + bucketMs) : null;
  if (endedAt === null) return { detectedAt, recoveredAt: null };
  if (detectedAt === null) return { detectedAt: null, recoveredAt: endedAt };
  const healthy = during.find(
    (b) =>
      b.start >= endedAt - bucketMs &&
      b.start >= first!.start &&
      !broken(b, thresholds) &&
      b.start + bucketMs > endedAt,
  );
  return { detectedAt, recoveredAt: healthy ? Math.max(healthy.start, endedAt) : null };
}
