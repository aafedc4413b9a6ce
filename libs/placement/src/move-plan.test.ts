import { isRedoubtError } from '@redoubt/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMatrix } from './placement-matrix.js';
import { build, diff, rebalance, replicasOf } from './index.js';
import { placementInputArb } from './testing/arbitraries.js';

const servers = ['a', 'b', 'c', 'd'].map((id, i) => ({ id, zone: `z${i}`, weight: 1 }));
const matrix = (rows: number[][], epoch = 1, list = servers) =>
  createMatrix({
    epoch,
    partitions: rows.length,
    replicas: rows[0]!.length,
    servers: list,
    cells: Uint16Array.from(rows.flat()),
  });

describe('diff', () => {
  it('lists each changed replica as (partition, from, to), keeping the slot pairing', () => {
    const a = matrix([
      [0, 1],
      [1, 2],
      [2, 3],
    ]);
    const b = matrix(
      [
        [0, 3],
        [2, 1],
        [3, 2],
      ],
      2,
    );
    const plan = diff(a, b);
    expect(plan).toEqual({
      fromEpoch: 1,
      toEpoch: 2,
      moves: [{ partition: 0, from: 'b', to: 'd' }],
      replicasAffected: 1,
      partitionsAffected: 1,
    });
  });

  it('compares servers by id, so a new column order or a new primary alone moves nothing', () => {
    const a = matrix([
      [0, 1],
      [2, 3],
    ]);
    const reordered = [...servers].reverse();
    const b = matrix(
      [
        [2, 3],
        [0, 1],
      ],
      2,
      reordered,
    ); // with the reversed list, [2, 3] reads b, a and [0, 1] reads d, c: the same sets as before
    expect(diff(a, b).replicasAffected).toBe(0);
  });

  it('reports new replicas with from null and dropped ones with to null when R changes', () => {
    const a = matrix([[0, 1]]);
    const b = matrix([[1, 0, 2]], 2);
    expect(diff(a, b).moves).toEqual([{ partition: 0, from: null, to: 'c' }]);
    expect(diff(b, matrix([[2]], 3)).moves).toEqual([
      { partition: 0, from: 'b', to: null },
      { partition: 0, from: 'a', to: null },
    ]);
  });

  it('counts exactly the cells whose replica sets differ, and applying the plan to a gives b', () => {
    fc.assert(
      fc.property(
        placementInputArb({ maxServers: 10 }),
        fc.nat(),
        ({ servers: list, replicas, partitions }, pick) => {
          fc.pre(list.length > replicas);
          const a = build(list, { partitions, replicas });
          const b = rebalance(
            a,
            list.filter((_, i) => i !== pick % list.length),
          );
          const plan = diff(a, b);
          const rows = Array.from({ length: partitions }, (_, p) => new Set(replicasOf(a, p)));
          for (const move of plan.moves) {
            expect(rows[move.partition]!.has(move.from!)).toBe(true);
            rows[move.partition]!.delete(move.from!);
            rows[move.partition]!.add(move.to!);
          }
          rows.forEach((set, p) => expect([...set].sort()).toEqual(replicasOf(b, p).sort()));
          expect(plan.partitionsAffected).toBe(new Set(plan.moves.map((m) => m.partition)).size);
          expect(plan.replicasAffected).toBe(plan.moves.length);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('refuses to plan backwards in epochs or across partition counts', () => {
    const a = matrix([[0, 1]], 5);
    expect(() => diff(a, matrix([[0, 1]], 4))).toThrow(
      expect.objectContaining({ code: 'PLACEMENT_STALE_EPOCH' }) as Error,
    );
    try {
      diff(
        a,
        matrix(
          [
            [0, 1],
            [1, 2],
          ],
          6,
        ),
      );
      expect.unreachable();
    } catch (error) {
      expect(isRedoubtError(error, 'PLACEMENT_INVALID')).toBe(true);
    }
  });
});
