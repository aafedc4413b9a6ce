import type { LoadTimeline } from '../measure/load-timeline.js';

export interface SteadyStateGuardOptions {
  abortErrorRate: number;
  abortAfterMs: number;
  /** Bucket width of the timeline (ms). */
  bucketMs: number;
}

/**
 * Decides when a run must stop: the error rate has stayed above the abort threshold for the whole of the
 * last `abortAfterMs` (counted in completed timeline buckets that saw requests). A broken steady state
 * beyond tolerance means the faults are hurting more than the scenario can measure; the runner then heals.
 */
export function steadyStateBroken(
  timeline: LoadTimeline,
  now: number,
  options: SteadyStateGuardOptions,
): { broken: boolean; reason: string } {
  const buckets = Math.max(1, Math.round(options.abortAfterMs / options.bucketMs));
  const recent = timeline.completedBuckets(now).slice(-buckets);
  if (recent.length < buckets) return { broken: false, reason: 'not enough history yet' };
  const withTraffic = recent.filter((b) => b.requests > 0);
  if (withTraffic.length < buckets) return { broken: false, reason: 'gaps in the traffic' };
  const allBad = withTraffic.every((b) => b.errors / b.requests > options.abortErrorRate);
  if (!allBad) return { broken: false, reason: 'within tolerance' };
  const total = withTraffic.reduce((s, b) => s + b.requests, 0);
  const errors = withTraffic.reduce((s, b) => s + b.errors, 0);
  return {
    broken: true,
    reason:
      `the error rate stayed above ${(options.abortErrorRate * 100).toFixed(0)}% for ${options.abortAfterMs} ms ` +
      `(${errors} of ${total} requests failed)`,
  };
}
