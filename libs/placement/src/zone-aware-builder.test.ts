import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { balanceReport, build, DEFAULT_PARTITIONS, loads, replicasOf, validate } from './index.js';
import { placementInputArb, rowProblems } from './testing/arbitraries.js';
import { zoneRule } from './zone-rule.js';

describe('build', () => {
  it('gives every row R distinct servers, spread over zones as the zone rule allows, balanced by weight', () => {
    fc.assert(
      fc.property(placementInputArb(), ({ servers, replicas, partitions }) => {
        const m = build(servers, { partitions, replicas });
        expect(m.cells.length).toBe(partitions * replicas);
        expect(rowProblems(m, zoneRule(servers, replicas).maxPerZone)).toEqual([]);
        // No violation at zero tolerance: every load is within one cell of its fair share.
        expect(validate(m, servers, { tolerance: 0 })).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });

  it('is within one cell of perfect balance for equal weights when each server has its own zone', () => {
    fc.assert(
      fc.property(
        placementInputArb({ equalWeights: true, zones: ['own', 'equal'], maxPartitions: 2048 }),
        ({ servers, replicas, partitions }) => {
          const zones = new Set(servers.map((s) => s.zone)).size;
          fc.pre(zones >= replicas);
          const m = build(servers, { partitions, replicas });
          const ideal = (partitions * replicas) / servers.length;
          for (const load of Object.values(loads(m))) expect(Math.abs(load - ideal)).toBeLessThan(1);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('is a pure function of its input', () => {
    fc.assert(
      fc.property(placementInputArb(), ({ servers, replicas, partitions }) => {
        const a = build(servers, { partitions, replicas });
        const b = build(
          servers.map((s) => ({ ...s })),
          { partitions, replicas },
        );
        expect(Buffer.from(b.cells.buffer).equals(Buffer.from(a.cells.buffer))).toBe(true);
      }),
      { numRuns: 30 },
    );
  });

  it('defaults to 4096 partitions, 3 replicas, epoch 1, and takes an epoch', () => {
    const servers = Array.from({ length: 5 }, (_, i) => ({ id: `s${i}`, zone: `z${i}`, weight: 1 }));
    const m = build(servers);
    expect([m.partitions, m.replicas, m.epoch]).toEqual([DEFAULT_PARTITIONS, 3, 1]);
    expect(build(servers, { epoch: 7, partitions: 16 }).epoch).toBe(7);
  });

  it('returns a frozen matrix that does not share the caller server objects', () => {
    const servers = [
      { id: 'a', zone: 'z1', weight: 1 },
      { id: 'b', zone: 'z2', weight: 1 },
    ];
    const m = build(servers, { partitions: 4, replicas: 2 });
    servers[0]!.id = 'changed';
    expect(m.servers[0]!.id).toBe('a');
    expect(Object.isFrozen(m) && Object.isFrozen(m.servers) && Object.isFrozen(m.servers[0])).toBe(true);
  });

  it('scatters replica sets: a server shares partitions with nearly every server outside its zone', () => {
    const servers = Array.from({ length: 64 }, (_, i) => ({ id: `s${i}`, zone: `z${i % 8}`, weight: 1 }));
    const m = build(servers, { partitions: 4096, replicas: 3 });
    for (const server of servers) {
      const peers = new Set<string>();
      for (let p = 0; p < m.partitions; p++) {
        const ids = replicasOf(m, p);
        if (ids.includes(server.id)) for (const id of ids) if (id !== server.id) peers.add(id);
      }
      expect(peers.size).toBeGreaterThanOrEqual(50); // 56 servers are outside its zone
    }
  });

  it('makes every server primary for its share of the partitions', () => {
    const servers = Array.from({ length: 64 }, (_, i) => ({
      id: `s${i}`,
      zone: `z${i}`,
      weight: 1 + (i % 3),
    }));
    const report = balanceReport(build(servers, { partitions: 4096, replicas: 3 }));
    expect(report.maxLoadRatio).toBeLessThan(1.01);
    expect(report.maxPrimaryRatio).toBeLessThan(1.05);
  });

  it('builds the backup matrix the same way: a million records over five backup targets', () => {
    const targets = Array.from({ length: 5 }, (_, i) => ({
      id: `backup-${i}`,
      zone: `site-${i}`,
      weight: i + 1,
    }));
    const m = build(targets, { partitions: 1_000_000, replicas: 2 });
    expect(validate(m, targets, { tolerance: 0 })).toEqual([]);
    const total = 2_000_000;
    const load = loads(m);
    targets.forEach((t) => expect(Math.abs(load[t.id]! - (total * t.weight) / 15)).toBeLessThan(1));
  });
});
