import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMatrix } from './placement-matrix.js';
import {
  build,
  EMPTY_CELL,
  validate,
  type PlacementMatrix,
  type ServerSpec,
  type Violation,
} from './index.js';
import { placementInputArb } from './testing/arbitraries.js';

/** A copy of m with some cells rewritten (matrices themselves are immutable). */
function withCells(m: PlacementMatrix, edit: (cells: Uint16Array) => void): PlacementMatrix {
  const cells = m.cells.slice();
  edit(cells);
  return createMatrix({ ...m, cells });
}

const rules = (violations: Violation[]) => new Set(violations.map((v) => v.rule));

const zonedInput = placementInputArb({ minServers: 4, maxServers: 12, zones: ['own', 'equal'] }).filter(
  ({ servers, replicas }) => replicas >= 2 && replicas < servers.length,
);

describe('validate', () => {
  it('finds an emptied cell (ROW_SHORT) in the partition where it was made', () => {
    fc.assert(
      fc.property(zonedInput, fc.nat(), ({ servers, replicas, partitions }, pick) => {
        const m = build(servers, { partitions, replicas });
        const cell = pick % m.cells.length;
        const broken = withCells(m, (cells) => (cells[cell] = EMPTY_CELL));
        const found = validate(broken, servers, { tolerance: 1 });
        expect(found).toContainEqual(
          expect.objectContaining({ rule: 'ROW_SHORT', partition: Math.floor(cell / replicas) }),
        );
      }),
      { numRuns: 40 },
    );
  });

  it('finds a server repeated in a row (DUPLICATE_IN_ROW)', () => {
    fc.assert(
      fc.property(zonedInput, fc.nat(), ({ servers, replicas, partitions }, pick) => {
        const m = build(servers, { partitions, replicas });
        const p = pick % partitions;
        const broken = withCells(m, (cells) => (cells[p * replicas + 1] = cells[p * replicas]!));
        expect(validate(broken)).toContainEqual(
          expect.objectContaining({
            rule: 'DUPLICATE_IN_ROW',
            partition: p,
            server: m.servers[m.cells[p * replicas]!]!.id,
          }),
        );
      }),
      { numRuns: 40 },
    );
  });

  it('finds two replicas in one zone when there are enough zones (ZONE_RULE)', () => {
    fc.assert(
      fc.property(zonedInput, fc.nat(), ({ servers, replicas, partitions }, pick) => {
        const zones = new Set(servers.map((s) => s.zone));
        fc.pre(zones.size >= replicas);
        const m = build(servers, { partitions, replicas });
        const p = pick % partitions;
        const row = Array.from(m.cells.subarray(p * replicas, (p + 1) * replicas));
        // A server that shares a zone with the primary and is not in the row, if any.
        const mate = servers.findIndex((s, i) => s.zone === servers[row[0]!]!.zone && !row.includes(i));
        fc.pre(mate >= 0);
        const broken = withCells(m, (cells) => (cells[p * replicas + 1] = mate));
        const found = validate(broken, servers, { tolerance: 1 });
        expect(found).toContainEqual(expect.objectContaining({ rule: 'ZONE_RULE', partition: p }));
        expect(rules(found).has('DUPLICATE_IN_ROW')).toBe(false);
      }),
      { numRuns: 40 },
    );
  });

  it('finds replicas on a server that left the list, and cells pointing past the columns (UNKNOWN_SERVER)', () => {
    fc.assert(
      fc.property(zonedInput, fc.nat(), ({ servers, replicas, partitions }, pick) => {
        const m = build(servers, { partitions, replicas });
        const gone = servers[m.cells[pick % m.cells.length]!]!; // a server that holds something
        const found = validate(
          m,
          servers.filter((s) => s !== gone),
        );
        const unknown = found.filter((v) => v.rule === 'UNKNOWN_SERVER');
        expect(unknown).toHaveLength(1);
        expect(unknown[0]!.server).toBe(gone.id);
        const broken = withCells(m, (cells) => (cells[0] = servers.length + 3));
        expect(validate(broken)).toContainEqual(
          expect.objectContaining({ rule: 'UNKNOWN_SERVER', partition: 0 }),
        );
      }),
      { numRuns: 40 },
    );
  });

  it('finds a server loaded beyond the tolerance (IMBALANCE), and accepts it within', () => {
    const servers: ServerSpec[] = Array.from({ length: 8 }, (_, i) => ({
      id: `s${i}`,
      zone: `z${i}`,
      weight: 1,
    }));
    const m = build(servers, { partitions: 800, replicas: 2 });
    // Give s0 the cells of s1 where s0 is not already in the row: rows stay valid, loads do not.
    let moved = 0;
    const broken = withCells(m, (cells) => {
      for (let p = 0; p < 800 && moved < 20; p++) {
        const row = [cells[p * 2]!, cells[p * 2 + 1]!];
        const slot = row.indexOf(1);
        if (slot < 0 || row.includes(0)) continue;
        cells[p * 2 + slot] = 0;
        moved += 1;
      }
    });
    const found = validate(broken);
    expect(found.map((v) => [v.rule, v.server])).toEqual([
      ['IMBALANCE', 's0'],
      ['IMBALANCE', 's1'],
    ]);
    expect(validate(broken, undefined, { tolerance: 0.2 })).toEqual([]);
    expect(validate(m, servers, { tolerance: 0 })).toEqual([]);
  });

  it('judges balance against the list it is given: a new, empty server is under its share', () => {
    const servers = Array.from({ length: 4 }, (_, i) => ({ id: `s${i}`, zone: `z${i}`, weight: 1 }));
    const m = build(servers, { partitions: 100, replicas: 2 });
    const found = validate(m, [...servers, { id: 'fresh', zone: 'z9', weight: 1 }]);
    expect(found).toContainEqual(expect.objectContaining({ rule: 'IMBALANCE', server: 'fresh' }));
  });

  it('reports a matrix whose cell count does not match P x R', () => {
    const m = build([{ id: 'a', zone: 'z', weight: 1 }], { partitions: 4, replicas: 1 });
    const short = createMatrix({ ...m, cells: new Uint16Array(3) });
    expect(validate(short).map((v) => v.rule)).toEqual(['ROW_SHORT']);
  });
});
