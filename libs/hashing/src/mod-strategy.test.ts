import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createStrategy } from './create-strategy.js';
import { hash64 } from './hash64.js';
import { measureMovement } from './measure-movement.js';
import { expectRedoubtError } from './testing/expect-redoubt-error.js';
import { sampleKeyHashes, serverIds } from './testing/key-hashes.js';
import { anyUint64 } from './testing/arbitraries.js';

describe('mod strategy', () => {
  it('maps a key hash h to servers[h mod m]', () => {
    fc.assert(
      fc.property(anyUint64, fc.integer({ min: 1, max: 300 }), (key, m) => {
        const servers = serverIds(m);
        expect(createStrategy('mod', servers).serverFor(key)).toBe(servers[Number(key % BigInt(m))]!.id);
      }),
      { numRuns: 500 },
    );
  });

  it('stays pinned for fixed servers and keys', () => {
    const keys = ['user:1', 'user:2', 'user:3', 'user:4', 'user:5', 'user:6', 'user:7', 'user:8'];
    const mod = createStrategy(
      'mod',
      ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id })),
    );
    expect(keys.map((k) => mod.serverFor(hash64(k))).join('')).toBe('dbeabddd');
  });

  it('moves most keys when one server joins: the baseline the other strategies improve on', () => {
    const keys = sampleKeyHashes(20_000);
    const { fraction, minimumFraction } = measureMovement(
      createStrategy('mod', serverIds(10)),
      createStrategy('mod', serverIds(11)),
      keys,
    );
    expect(fraction).toBeGreaterThan(0.85);
    expect(minimumFraction).toBeCloseTo(1 / 11, 10);
  });

  it('refuses unequal weights (it cannot honour them) with INVALID_ARGUMENT', () => {
    expectRedoubtError(
      () =>
        createStrategy('mod', [
          { id: 'a', weight: 1 },
          { id: 'b', weight: 2 },
        ]),
      'INVALID_ARGUMENT',
    );
    expect(
      createStrategy('mod', [
        { id: 'a', weight: 3 },
        { id: 'b', weight: 3 },
      ]).name,
    ).toBe('mod');
  });
});
