import { describe, expect, it } from 'vitest';
import { LoadTimeline } from '../measure/load-timeline.js';
import { steadyStateBroken } from './steady-state-guard.js';

const options = { abortErrorRate: 0.5, abortAfterMs: 3000, bucketMs: 1000 };

function timelineWith(errorRates: number[]): LoadTimeline {
  const timeline = new LoadTimeline(1000);
  errorRates.forEach((rate, second) => {
    for (let i = 0; i < 10; i += 1) timeline.record('put', second * 1000 + i * 50, 5, i >= rate * 10);
  });
  return timeline;
}

describe('the steady-state guard', () => {
  it('aborts once the error rate stayed above the threshold for the whole abort window', () => {
    const verdict = steadyStateBroken(timelineWith([0, 0, 1, 0.9, 0.8]), 5000, options);
    expect(verdict.broken).toBe(true);
    expect(verdict.reason).toMatch(/above 50% for 3000 ms/);
  });

  it('tolerates a short burst of errors and a recovery inside the window', () => {
    expect(steadyStateBroken(timelineWith([0, 1, 1, 0.2, 1]), 5000, options).broken).toBe(false);
    expect(steadyStateBroken(timelineWith([1, 1]), 2000, options).broken).toBe(false);
  });

  it('counts only completed buckets', () => {
    expect(steadyStateBroken(timelineWith([0, 1, 1, 1]), 3500, options).broken).toBe(false);
    expect(steadyStateBroken(timelineWith([0, 1, 1, 1]), 4000, options).broken).toBe(true);
  });
});
