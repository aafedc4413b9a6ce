import { describe, expect, it } from 'vitest';
import { build, replicasOf } from '@redoubt/placement';
import { redundancyOf, unfilledKey } from './index.js';

const m = build(
  ['d1', 'd2', 'd3', 'd4'].map((id) => ({ id, zone: id, weight: 1 })),
  { partitions: 32, replicas: 3, epoch: 1 },
);
const holding = (node: string) =>
  Array.from({ length: 32 }, (_, p) => p).filter((p) => replicasOf(m, p).includes(node));

describe('redundancyOf', () => {
  it('is all clear when every replica is live and filled', () => {
    expect(redundancyOf(m, () => true, new Set(), 2)).toEqual({
      epoch: 1,
      belowR: 0,
      belowW: 0,
      unavailable: 0,
    });
  });

  it('counts the partitions of a down node below R, and those of two down nodes below W', () => {
    expect(redundancyOf(m, (n) => n !== 'd4', new Set(), 2).belowR).toBe(holding('d4').length);
    const both = holding('d3').filter((p) => holding('d4').includes(p));
    const result = redundancyOf(m, (n) => n !== 'd3' && n !== 'd4', new Set(), 2);
    expect(result.belowW).toBe(both.length);
    expect(result.unavailable).toBe(0);
  });

  it('counts a replica that a pending move has not filled yet as missing', () => {
    const p = holding('d2')[0]!;
    expect(redundancyOf(m, () => true, new Set([unfilledKey(p, 'd2')]), 2)).toMatchObject({
      belowR: 1,
      belowW: 0,
    });
  });
});
