import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createStrategy } from './create-strategy.js';
import { hash64 } from './hash64.js';
import { measureBalance } from './measure-balance.js';
import { sampleKeyHashes, serverIds } from './testing/key-hashes.js';
import { anyUint64 } from './testing/arbitraries.js';

const keyHash = anyUint64;
/** A set of 2..20 distinct server ids with positive weights. */
const weightedServers = fc.uniqueArray(
  fc.record({
    id: fc.string({ minLength: 1, maxLength: 8 }),
    weight: fc.double({ min: 0.01, max: 100, noNaN: true }),
  }),
  { minLength: 2, maxLength: 20, selector: (s) => s.id },
);

describe('rendezvous strategy', () => {
  it('stays pinned for fixed servers and keys', () => {
    const keys = ['user:1', 'user:2', 'user:3', 'user:4', 'user:5', 'user:6', 'user:7', 'user:8'];
    const plain = createStrategy(
      'rendezvous',
      ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id })),
    );
    expect(keys.map((k) => plain.serverFor(hash64(k))).join('')).toBe('cbaddbea');
    const weighted = createStrategy('rendezvous', [
      { id: 'a', weight: 1 },
      { id: 'b', weight: 2 },
      { id: 'c', weight: 3 },
    ]);
    expect(keys.map((k) => weighted.serverFor(hash64(k))).join('')).toBe('cbacabca');
  });

  it('removing a server moves only the keys that server held (weighted or not)', () => {
    fc.assert(
      fc.property(
        weightedServers,
        fc.boolean(),
        fc.nat(),
        fc.array(keyHash, { minLength: 50, maxLength: 50 }),
        (servers, useWeights, pick, keys) => {
          const list = useWeights ? servers : servers.map(({ id }) => ({ id }));
          const removed = list[pick % list.length]!.id;
          const before = createStrategy('rendezvous', list);
          const after = createStrategy(
            'rendezvous',
            list.filter((s) => s.id !== removed),
          );
          for (const key of keys) {
            const owner = before.serverFor(key);
            if (owner !== removed) expect(after.serverFor(key)).toBe(owner);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('adding a server moves keys only to the new server', () => {
    fc.assert(
      fc.property(weightedServers, fc.array(keyHash, { minLength: 50, maxLength: 50 }), (servers, keys) => {
        const [added, ...rest] = servers;
        const before = createStrategy('rendezvous', rest);
        const after = createStrategy('rendezvous', servers);
        for (const key of keys) {
          const owner = after.serverFor(key);
          expect(owner === before.serverFor(key) || owner === added!.id).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('does not depend on the order of the server list', () => {
    fc.assert(
      fc.property(weightedServers, fc.array(keyHash, { minLength: 20, maxLength: 20 }), (servers, keys) => {
        const forward = createStrategy('rendezvous', servers);
        const backward = createStrategy('rendezvous', [...servers].reverse());
        for (const key of keys) expect(backward.serverFor(key)).toBe(forward.serverFor(key));
      }),
      { numRuns: 100 },
    );
  });

  it('maps keys the same way when all weights are equal, whatever the common weight', () => {
    const keys = sampleKeyHashes(2000);
    const unweighted = createStrategy('rendezvous', serverIds(7));
    const weighted = createStrategy(
      'rendezvous',
      serverIds(7).map((s) => ({ ...s, weight: 2.5 })),
    );
    for (const key of keys) expect(weighted.serverFor(key)).toBe(unweighted.serverFor(key));
  });

  it('gives each server a share of keys proportional to its weight', () => {
    const servers = [
      { id: 'small', weight: 1 },
      { id: 'medium', weight: 2 },
      { id: 'large', weight: 4 },
      { id: 'huge', weight: 8 },
    ];
    const keys = sampleKeyHashes(60_000);
    const { loads, maxOverIdeal } = measureBalance(createStrategy('rendezvous', servers), keys);
    for (const { id, weight } of servers) {
      expect(loads[id]! / keys.length).toBeCloseTo(weight / 15, 2);
    }
    expect(maxOverIdeal).toBeLessThan(1.05);
  });

  it('balances equal servers closely (max/ideal within a few percent over 100k keys)', () => {
    const { maxOverIdeal } = measureBalance(
      createStrategy('rendezvous', serverIds(10)),
      sampleKeyHashes(100_000),
    );
    expect(maxOverIdeal).toBeLessThan(1.03);
  });
});
