import { describe, expect, it } from 'vitest';
import type { TimelineBucket } from './load-timeline.js';
import { effectDetectRecover } from './effect-probe.js';

const bucket = (start: number, errors: number, p99: number): TimelineBucket => ({
  start,
  requests: 100,
  errors,
  puts: 70,
  gets: 30,
  dropped: 0,
  p50: p99 / 2,
  p99,
});
const objectives = { maxErrorRate: 0.01, p99Ms: 500 };

describe('effectDetectRecover', () => {
  it('detects the first bucket that breaks the objectives and recovers at the first good one after the end', () => {
    const buckets = [
      bucket(0, 0, 20),
      bucket(1000, 0, 20),
      bucket(2000, 0, 900), // the slow link bites
      bucket(3000, 5, 1200),
      bucket(4000, 0, 700), // ended at 4200, still slow
      bucket(5000, 0, 30),
    ];
    expect(effectDetectRecover(buckets, 1000, objectives, 1500, 4200)).toEqual({
      detectedAt: 3000,
      recoveredAt: 5000,
    });
  });

  it('reports a fault clients never noticed as recovered when it ended', () => {
    const buckets = [bucket(0, 0, 20), bucket(1000, 0, 25), bucket(2000, 0, 30)];
    expect(effectDetectRecover(buckets, 1000, objectives, 500, 2500)).toEqual({
      detectedAt: null,
      recoveredAt: 2500,
    });
  });

  it('holds a machine that is slow anyway to twice its own normal, not to the objective', () => {
    const slowNormal = [0, 1000, 2000, 3000].map((start) => bucket(start, 0, 800));
    const buckets = [...slowNormal, bucket(4000, 0, 900), bucket(5000, 0, 2500), bucket(6000, 0, 850)];
    expect(effectDetectRecover(buckets, 1000, objectives, 4000, 5800)).toEqual({
      detectedAt: 6000,
      recoveredAt: 6000,
    });
  });

  it('has no recovery while the load stays broken after the end', () => {
    const buckets = [bucket(0, 50, 20), bucket(1000, 50, 20), bucket(2000, 50, 20)];
    expect(effectDetectRecover(buckets, 1000, objectives, 0, 1500)).toEqual({
      detectedAt: 1000,
      recoveredAt: null,
    });
  });
});
