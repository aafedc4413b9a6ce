import { describe, expect, it } from 'vitest';
import { isRedoubtError } from '@redoubt/errors';
import { build, replicasOf, type PlacementMatrix } from '@redoubt/placement';
import { PRIORITY } from '@redoubt/queues';
import { planMoves, previewChange, serversAfter } from './index.js';

function cluster(n: number, partitions = 64): PlacementMatrix {
  return build(
    Array.from({ length: n }, (_, i) => ({ id: `d${i + 1}`, zone: `d${i + 1}`, weight: 1 })),
    { partitions, replicas: 3, epoch: 1 },
  );
}
const liveExcept =
  (...dead: string[]) =>
  (node: string) =>
    !dead.includes(node);

describe('planMoves', () => {
  it('rebuilds a dead node replicas from the kept ones, below-R first, nothing to drop', () => {
    const m1 = cluster(4);
    const { next, moves } = previewChange(
      m1,
      { kind: 'evict', nodes: ['d4'] },
      {
        isLive: liveExcept('d4'),
        writeQuorum: 2,
        bandwidthBytesPerSecond: 1e6,
      },
    );
    const held = Array.from({ length: 64 }, (_, p) => p).filter((p) => replicasOf(m1, p).includes('d4'));
    expect(moves.map((m) => m.partition).sort((a, b) => a - b)).toEqual(held);
    for (const move of moves) {
      expect(move.from).toBeNull();
      expect(move.priority).toBe(PRIORITY.belowR);
      expect(move.live).toBe(2);
      expect(move.keep).toHaveLength(2);
      expect(move.keep).not.toContain('d4');
      expect(move.keep).not.toContain(move.to);
      expect(replicasOf(next, move.partition).sort()).toEqual([...move.keep, move.to].sort());
    }
  });

  it('puts partitions left with fewer than W live replicas first', () => {
    const m1 = cluster(5);
    const { moves } = previewChange(
      m1,
      { kind: 'evict', nodes: ['d4', 'd5'] },
      {
        isLive: liveExcept('d4', 'd5'),
        writeQuorum: 2,
        bandwidthBytesPerSecond: 1e6,
      },
    );
    const both = moves.filter(
      (m) => replicasOf(m1, m.partition).filter((n) => n === 'd4' || n === 'd5').length === 2,
    );
    expect(both.length).toBeGreaterThan(0);
    for (const move of both) expect(move.priority).toBe(PRIORITY.belowW);
    const firstBelowR = moves.findIndex((m) => m.priority === PRIORITY.belowR);
    const lastBelowW = moves.map((m) => m.priority).lastIndexOf(PRIORITY.belowW);
    expect(lastBelowW).toBeLessThan(firstBelowR);
  });

  it('drains a live node: moves keep their old owner to drop after the copy, at plain move priority', () => {
    const m1 = cluster(4);
    const next = previewChange(
      m1,
      { kind: 'drain', node: 'd2' },
      { isLive: () => true, writeQuorum: 2, bandwidthBytesPerSecond: 1e6 },
    ).next;
    const moves = planMoves(m1, next, { isLive: () => true, writeQuorum: 2 });
    expect(moves.length).toBeGreaterThan(0);
    for (const move of moves) {
      expect(move.from).toBe('d2');
      expect(move.priority).toBe(PRIORITY.move);
      expect(move.live).toBe(3);
    }
  });
});

describe('previewChange', () => {
  it('adds up bytes and time at the bandwidth, and how long each partition runs below R', () => {
    const m1 = cluster(4);
    const size = (p: number) => 1_000_000 * (1 + (p % 3));
    const { preview, moves } = previewChange(
      m1,
      { kind: 'drain', node: 'd1' },
      {
        isLive: () => true,
        writeQuorum: 2,
        sizeOf: size,
        bandwidthBytesPerSecond: 2_000_000,
      },
    );
    const bytes = moves.reduce((sum, m) => sum + size(m.partition), 0);
    expect(preview.bytes).toBe(bytes);
    expect(preview.estimatedSeconds).toBeCloseTo(bytes / 2_000_000, 3);
    expect(preview.moves).toBe(moves.length);
    expect(preview.partitionsAffected).toBe(new Set(moves.map((m) => m.partition)).size);
    expect(preview.maxSecondsBelowR).toBeCloseTo(preview.estimatedSeconds, 3);
    // In plan order, each partition is whole again when its move is done: cumulative bytes / bandwidth.
    let elapsed = 0;
    for (const move of moves) {
      elapsed += size(move.partition) / 2_000_000;
      expect(preview.exposure.find((e) => e.partition === move.partition)?.secondsBelowR).toBeCloseTo(
        elapsed,
        3,
      );
    }
    expect(preview.loads.after.d1).toBeUndefined();
    expect(Object.values(preview.loads.after).reduce((a, b) => a + b, 0)).toBe(64 * 3);
    expect(preview.servers.after).toEqual(['d2', 'd3', 'd4']);
    expect(preview.toEpoch).toBe(2);
  });

  it('adds a node: about its fair share moves to it, from live owners', () => {
    const m1 = cluster(4);
    const { preview, moves } = previewChange(
      m1,
      { kind: 'add', servers: [{ id: 'd5', zone: 'd5', weight: 1 }] },
      {
        isLive: () => true,
        writeQuorum: 2,
        bandwidthBytesPerSecond: 1e6,
      },
    );
    expect(moves.every((m) => m.to === 'd5' && m.from !== null)).toBe(true);
    expect(preview.loads.after.d5).toBe(moves.length);
    expect(moves.length).toBeGreaterThanOrEqual(Math.floor((64 * 3) / 5) - 1);
    expect(moves.length).toBeLessThanOrEqual(Math.ceil((64 * 3) / 5) + 1);
  });

  it('refuses changes that make no sense', () => {
    const m1 = cluster(3);
    const code = (fn: () => unknown) => {
      try {
        fn();
        return 'ok';
      } catch (error) {
        return isRedoubtError(error) ? error.code : String(error);
      }
    };
    expect(code(() => serversAfter(m1, { kind: 'drain', node: 'd9' }))).toBe('NODE_STATE_CONFLICT');
    expect(code(() => serversAfter(m1, { kind: 'add', servers: [{ id: 'd1', zone: 'x', weight: 1 }] }))).toBe(
      'NODE_EXISTS',
    );
    expect(
      code(() =>
        previewChange(
          m1,
          { kind: 'drain', node: 'd1' },
          { isLive: () => true, writeQuorum: 2, bandwidthBytesPerSecond: 1 },
        ),
      ),
    ).toBe('PLACEMENT_REPLICAS_EXCEED_SERVERS');
  });
});
