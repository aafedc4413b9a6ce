import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { apportion, fairShares, integerQuotas, proportionalShares } from './fair-share.js';
import { serverListArb } from './testing/arbitraries.js';
import { zoneRowCap, zoneRule } from './zone-rule.js';

const servers = (zones: string[], weights?: number[]) =>
  zones.map((zone, i) => ({ id: `s${i}`, zone, weight: weights?.[i] ?? 1 }));

describe('fair shares', () => {
  it('are proportional to weight when no cap binds', () => {
    const list = servers(['a', 'b', 'c', 'd'], [1, 1, 2, 4]);
    const shares = fairShares(list, zoneRule(list, 2), 800, 2);
    expect(Array.from(shares)).toEqual(Array.from(proportionalShares(list, 800, 2)));
  });

  it('cap a server at one replica per row and share the rest', () => {
    const list = servers(['a', 'b', 'c', 'd'], [100, 1, 1, 1]);
    const shares = fairShares(list, zoneRule(list, 2), 300, 2);
    expect(shares[0]).toBeCloseTo(300, 9);
    for (const s of [1, 2, 3]) expect(shares[s]).toBeCloseTo(100, 9);
  });

  it('cap a zone at L replicas per row: a lone server in one of R zones holds every partition', () => {
    // Three zones for three replicas: every row has one replica in each zone, whatever the weights.
    const list = servers(['a', 'b', 'b', 'c', 'c', 'c']);
    const rule = zoneRule(list, 3);
    expect(rule.maxPerZone).toBe(1);
    const shares = fairShares(list, rule, 600, 3);
    expect(Array.from(shares).map((x) => Math.round(x))).toEqual([600, 300, 300, 200, 200, 200]);
  });

  it('spread R over fewer zones as evenly as they allow', () => {
    expect(zoneRule(servers(['a', 'b', 'b', 'b']), 3).maxPerZone).toBe(2);
    expect(zoneRule(servers(['a', 'b', 'b', 'b', 'b', 'b']), 5).maxPerZone).toBe(4);
    expect(zoneRule(servers(['a', 'a', 'b', 'b', 'c']), 5).maxPerZone).toBe(2);
    expect(zoneRule(servers(['a', 'a', 'a']), 2).maxPerZone).toBe(2);
  });

  it('round to integers within one cell of the share, summing to R*P, within every cap', () => {
    fc.assert(
      fc.property(
        serverListArb({ maxServers: 12 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 3000 }),
        (list, r, partitions) => {
          const replicas = Math.min(r, list.length);
          const rule = zoneRule(list, replicas);
          const shares = fairShares(list, rule, partitions, replicas);
          const quotas = integerQuotas(shares, rule, partitions, replicas);
          expect(quotas.reduce((a, b) => a + b, 0)).toBe(partitions * replicas);
          const zoneTotals = new Map<number, number>();
          quotas.forEach((q, s) => {
            expect(Math.abs(q - shares[s]!)).toBeLessThan(1 + 1e-6);
            expect(q).toBeLessThanOrEqual(partitions);
            zoneTotals.set(rule.zoneOf[s]!, (zoneTotals.get(rule.zoneOf[s]!) ?? 0) + q);
          });
          for (const [z, total] of zoneTotals)
            expect(total).toBeLessThanOrEqual(zoneRowCap(rule, z) * partitions);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('apportion', () => {
  it('rounds sticky towards current loads when rebalancing', () => {
    const zoneOf = new Int32Array(3);
    const base = { targets: [1.5, 1.5, 1], total: 4, serverCap: 10, zoneOf, zoneCaps: [10] };
    expect(Array.from(apportion({ ...base, current: [1, 2, 1] }))).toEqual([1, 2, 1]);
    expect(Array.from(apportion({ ...base, current: [2, 1, 1] }))).toEqual([2, 1, 1]);
  });
});
