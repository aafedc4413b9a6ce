import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ServerSpec } from './index.js';
import { build, diff, loads, rebalance, validate } from './index.js';
import {
  cellCounts,
  movementLowerBound,
  placementInputArb,
  rowProblems,
  serverListArb,
} from './testing/arbitraries.js';
import { zoneRule } from './zone-rule.js';

type Change =
  | { kind: 'add'; zone: number; weight: number }
  | { kind: 'remove'; index: number }
  | { kind: 'reweight'; index: number; weight: number }
  | { kind: 'rezone'; index: number; zone: number };

const changeArb: fc.Arbitrary<Change> = fc.oneof(
  fc.record({ kind: fc.constant('add' as const), zone: fc.nat(8), weight: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('remove' as const), index: fc.nat() }),
  fc.record({
    kind: fc.constant('reweight' as const),
    index: fc.nat(),
    weight: fc.integer({ min: 1, max: 8 }),
  }),
  fc.record({ kind: fc.constant('rezone' as const), index: fc.nat(), zone: fc.nat(8) }),
);

function applyChanges(servers: ServerSpec[], changes: Change[]): ServerSpec[] {
  let next = servers.map((s) => ({ ...s }));
  changes.forEach((change, k) => {
    if (change.kind === 'add')
      next.push({ id: `new-${k}`, zone: `zone-${change.zone}`, weight: change.weight });
    else if (next.length === 0) return;
    else if (change.kind === 'remove') next = next.filter((_, i) => i !== change.index % next.length);
    else if (change.kind === 'reweight') next[change.index % next.length]!.weight = change.weight;
    else next[change.index % next.length]!.zone = `zone-${change.zone}`;
  });
  return next;
}

describe('rebalance', () => {
  it('restores every invariant after any membership change, as the next epoch', () => {
    fc.assert(
      fc.property(
        placementInputArb({ maxServers: 14 }),
        fc.array(changeArb, { minLength: 1, maxLength: 4 }),
        ({ servers, replicas, partitions }, changes) => {
          const next = applyChanges(servers, changes);
          fc.pre(next.length >= replicas);
          const a = build(servers, { partitions, replicas, epoch: 5 });
          const b = rebalance(a, next);
          expect(b.epoch).toBe(6);
          expect(b.servers.map((s) => s.id)).toEqual(next.map((s) => s.id));
          expect(rowProblems(b, zoneRule(next, replicas).maxPerZone)).toEqual([]);
          expect(validate(b, next, { tolerance: 0 })).toEqual([]);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('adding one server to T equal servers moves about R*P/(T+1) cells, all to the new server', () => {
    fc.assert(
      fc.property(
        serverListArb({ equalWeights: true, zones: ['own'], minServers: 3, maxServers: 24 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 64, max: 2048 }),
        (servers, replicas, partitions) => {
          const a = build(servers, { partitions, replicas });
          const b = rebalance(a, [...servers, { id: 'newcomer', zone: 'zone-new', weight: 1 }]);
          const plan = diff(a, b);
          const expected = (replicas * partitions) / (servers.length + 1);
          expect(Math.abs(plan.replicasAffected - expected)).toBeLessThan(1);
          expect(plan.moves.every((move) => move.to === 'newcomer' && move.from !== null)).toBe(true);
          expect(plan.replicasAffected).toBe(loads(b)['newcomer']);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('removing a server moves exactly its cells, each to a server that needed it', () => {
    fc.assert(
      fc.property(
        serverListArb({ equalWeights: true, zones: ['own'], minServers: 3, maxServers: 24 }),
        fc.integer({ min: 1, max: 3 }),
        fc.nat(),
        fc.integer({ min: 0, max: 1500 }),
        (servers, r, pick, extra) => {
          const replicas = Math.min(r, servers.length - 1);
          // Enough partitions that one server's departure raises every other quota by a few cells, and that
          // every server shares only some of the departing server's partitions (with a handful of partitions,
          // a server may happen to share all of them and then cannot take any).
          const partitions = 64 + 4 * servers.length * servers.length + extra;
          const a = build(servers, { partitions, replicas });
          const gone = servers[pick % servers.length]!.id;
          const next = servers.filter((s) => s.id !== gone);
          const b = rebalance(a, next);
          const plan = diff(a, b);
          expect(plan.replicasAffected).toBe(loads(a)[gone]);
          expect(plan.moves.every((move) => move.from === gone && move.to !== null)).toBe(true);
          expect(validate(b, next, { tolerance: 0 })).toEqual([]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('changes only the cells a reweight requires when zones and row caps do not constrain', () => {
    // Own zones, and weights 1..3 over at least 10 servers: no server needs more than 3/4 of the rows. (A
    // server in nearly every row can only gain in the few rows without it, which may not hold a donor.)
    fc.assert(
      fc.property(
        serverListArb({ zones: ['own'], minServers: 10, maxServers: 16, maxWeight: 3 }),
        fc.nat(),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 64, max: 1024 }),
        (servers, pick, weight, partitions) => {
          const a = build(servers, { partitions, replicas: 3 });
          const next = servers.map((s, i) => (i === pick % servers.length ? { ...s, weight } : s));
          const b = rebalance(a, next);
          expect(diff(a, b).replicasAffected).toBe(movementLowerBound(cellCounts(a), cellCounts(b)));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('keeps a matrix whose membership did not change, and is a pure function of its input', () => {
    fc.assert(
      fc.property(placementInputArb(), ({ servers, replicas, partitions }) => {
        const a = build(servers, { partitions, replicas });
        const b = rebalance(a, servers);
        expect(diff(a, b).replicasAffected).toBe(0);
        const shuffled = [...servers].reverse();
        const c1 = rebalance(a, shuffled);
        const c2 = rebalance(a, shuffled);
        expect(Buffer.from(c1.cells.buffer).equals(Buffer.from(c2.cells.buffer))).toBe(true);
        expect(diff(a, c1).replicasAffected).toBe(0);
      }),
      { numRuns: 40 },
    );
  });

  it('adds or drops exactly one replica per partition when R changes by one', () => {
    const servers = Array.from({ length: 7 }, (_, i) => ({
      id: `s${i}`,
      zone: `z${i % 4}`,
      weight: 1 + (i % 2),
    }));
    const a = build(servers, { partitions: 500, replicas: 3 });
    const up = rebalance(a, servers, { replicas: 4 });
    expect(up.replicas).toBe(4);
    expect(validate(up, servers, { tolerance: 0 })).toEqual([]);
    const grow = diff(a, up);
    expect(grow.moves.filter((m) => m.from === null)).toHaveLength(500);
    const down = rebalance(a, servers, { replicas: 2 });
    expect(validate(down, servers, { tolerance: 0 })).toEqual([]);
    const shrink = diff(a, down);
    expect(shrink.moves.filter((m) => m.to === null)).toHaveLength(500);
    expect(shrink.moves.every((m) => m.from !== null)).toBe(true);
  });

  it('moves replicas that break the zone rule when a server changes zone', () => {
    const servers = Array.from({ length: 6 }, (_, i) => ({ id: `s${i}`, zone: `z${i}`, weight: 1 }));
    const a = build(servers, { partitions: 600, replicas: 3 });
    // s1 joins s0's zone: no row may now hold both.
    const next = servers.map((s) => (s.id === 's1' ? { ...s, zone: 'z0' } : s));
    expect(validate(a, next).some((v) => v.rule === 'ZONE_RULE')).toBe(true);
    const b = rebalance(a, next);
    expect(validate(b, next, { tolerance: 0 })).toEqual([]);
  });
});
