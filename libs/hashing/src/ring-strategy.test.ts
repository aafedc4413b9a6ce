import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createStrategy } from './create-strategy.js';
import { hash64 } from './hash64.js';
import { measureBalance } from './measure-balance.js';
import { MAX_RING_POINTS } from './ring-strategy.js';
import { expectRedoubtError } from './testing/expect-redoubt-error.js';
import { sampleKeyHashes, serverIds } from './testing/key-hashes.js';
import { anyUint64 } from './testing/arbitraries.js';

const keyHash = anyUint64;
const servers = fc.uniqueArray(
  fc.record({
    id: fc.string({ minLength: 1, maxLength: 8 }),
    weight: fc.double({ min: 0.05, max: 4, noNaN: true }),
  }),
  { minLength: 2, maxLength: 12, selector: (s) => s.id },
);
const vnodes = fc.integer({ min: 1, max: 64 });

describe('ring strategy', () => {
  it('stays pinned for fixed servers and keys', () => {
    const keys = ['user:1', 'user:2', 'user:3', 'user:4', 'user:5', 'user:6', 'user:7', 'user:8'];
    const plain = createStrategy(
      'ring',
      ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id })),
    );
    expect(keys.map((k) => plain.serverFor(hash64(k))).join('')).toBe('aeabaaac');
    const weighted = createStrategy('ring', [
      { id: 'a', weight: 1 },
      { id: 'b', weight: 2 },
      { id: 'c', weight: 3 },
    ]);
    expect(keys.map((k) => weighted.serverFor(hash64(k))).join('')).toBe('acabbccc');
  });

  it('removing a server moves only the keys that server held', () => {
    fc.assert(
      fc.property(
        servers,
        vnodes,
        fc.nat(),
        fc.array(keyHash, { minLength: 50, maxLength: 50 }),
        (list, v, pick, keys) => {
          const removed = list[pick % list.length]!.id;
          const before = createStrategy('ring', list, { vnodes: v });
          const after = createStrategy(
            'ring',
            list.filter((s) => s.id !== removed),
            { vnodes: v },
          );
          for (const key of keys) {
            const owner = before.serverFor(key);
            if (owner !== removed) expect(after.serverFor(key)).toBe(owner);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('adding a server moves keys only to the new server', () => {
    fc.assert(
      fc.property(servers, vnodes, fc.array(keyHash, { minLength: 50, maxLength: 50 }), (list, v, keys) => {
        const [added, ...rest] = list;
        const before = createStrategy('ring', rest, { vnodes: v });
        const after = createStrategy('ring', list, { vnodes: v });
        for (const key of keys) {
          const owner = after.serverFor(key);
          expect(owner === before.serverFor(key) || owner === added!.id).toBe(true);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('does not depend on the order of the server list', () => {
    fc.assert(
      fc.property(servers, fc.array(keyHash, { minLength: 20, maxLength: 20 }), (list, keys) => {
        const forward = createStrategy('ring', list, { vnodes: 16 });
        const backward = createStrategy('ring', [...list].reverse(), { vnodes: 16 });
        for (const key of keys) expect(backward.serverFor(key)).toBe(forward.serverFor(key));
      }),
      { numRuns: 100 },
    );
  });

  it('wraps around: keys past the last point belong to the first point', () => {
    const ring = createStrategy('ring', serverIds(3), { vnodes: 1 });
    expect(ring.serverFor(2n ** 64n - 1n)).toBe(ring.serverFor(0n));
  });

  it('balances better with more virtual nodes', () => {
    const keys = sampleKeyHashes(50_000);
    const balance = (v: number): number =>
      measureBalance(createStrategy('ring', serverIds(10), { vnodes: v }), keys).maxOverIdeal;
    expect(balance(1)).toBeGreaterThan(balance(16));
    expect(balance(16)).toBeGreaterThan(balance(1024));
    expect(balance(1024)).toBeLessThan(1.1);
  });

  it('gives a heavier server proportionally more keys', () => {
    const keys = sampleKeyHashes(50_000);
    const { loads } = measureBalance(
      createStrategy(
        'ring',
        [
          { id: 'light', weight: 1 },
          { id: 'heavy', weight: 3 },
        ],
        { vnodes: 1000 },
      ),
      keys,
    );
    expect(loads.heavy! / keys.length).toBeCloseTo(0.75, 1);
  });

  it('rejects bad vnodes and rings with too many points with INVALID_ARGUMENT', () => {
    for (const bad of [0, -1, 2.5, Number.NaN, 65_537, '160']) {
      expectRedoubtError(
        () => createStrategy('ring', serverIds(2), { vnodes: bad as number }),
        'INVALID_ARGUMENT',
      );
    }
    expectRedoubtError(
      () => createStrategy('ring', [{ id: 'a', weight: MAX_RING_POINTS }], { vnodes: 2 }),
      'INVALID_ARGUMENT',
    );
  });
});
