import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { build, loads, replicasOf } from './index.js';
import { placementInputArb } from './testing/arbitraries.js';

describe('loads', () => {
  it('is the column sums of the matrix: replicas per server, every server listed', () => {
    fc.assert(
      fc.property(placementInputArb(), ({ servers, replicas, partitions }) => {
        const m = build(servers, { partitions, replicas });
        const load = loads(m);
        expect(Object.keys(load).sort()).toEqual(servers.map((s) => s.id).sort());
        expect(Object.values(load).reduce((a, b) => a + b, 0)).toBe(partitions * replicas);
      }),
      { numRuns: 40 },
    );
  });

  it('is B = A x Q for a vector A of partition sizes (checked against the dense product)', () => {
    fc.assert(
      fc.property(
        placementInputArb({ maxPartitions: 60 }).chain((input) =>
          fc.record({
            input: fc.constant(input),
            sizes: fc.array(fc.integer({ min: 0, max: 1_000_000 }), {
              minLength: input.partitions,
              maxLength: input.partitions,
            }),
          }),
        ),
        ({ input, sizes }) => {
          const m = build(input.servers, input);
          // Q as a dense P x T 0/1 matrix, only for the check.
          const q = Array.from({ length: m.partitions }, (_, p) =>
            m.servers.map((s) => (replicasOf(m, p).includes(s.id) ? 1 : 0)),
          );
          const expected = m.servers.map((_, t) => sizes.reduce((sum, size, p) => sum + size * q[p]![t]!, 0));
          expect(m.servers.map((s) => loads(m, sizes)[s.id])).toEqual(expected);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('gives the bytes each backup target receives from the backup matrix', () => {
    const targets = [
      { id: 'nas-1', zone: 'site-a', weight: 2 },
      { id: 'nas-2', zone: 'site-b', weight: 1 },
      { id: 's3-eu', zone: 'site-c', weight: 1 },
    ];
    const backup = build(targets, { partitions: 1000, replicas: 1 });
    const sizes = new Float64Array(1000).fill(1024);
    expect(loads(backup, sizes)).toEqual({ 'nas-1': 500 * 1024, 'nas-2': 250 * 1024, 's3-eu': 250 * 1024 });
  });

  it('rejects a size vector of the wrong length or with negative sizes', () => {
    const m = build([{ id: 'a', zone: 'z', weight: 1 }], { partitions: 3, replicas: 1 });
    expect(() => loads(m, [1, 2])).toThrow(/3 partitions/);
    expect(() => loads(m, [1, -2, 3])).toThrow(/partition 1/);
  });
});
