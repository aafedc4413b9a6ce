import { describe, expect, it } from 'vitest';
import { createStrategy, STRATEGY_KINDS } from './create-strategy.js';
import { measureBalance } from './measure-balance.js';
import { measureMovement } from './measure-movement.js';
import type { ServerMappingStrategy } from './server-mapping-strategy.js';
import { expectRedoubtError } from './testing/expect-redoubt-error.js';
import { sampleKeyHashes, serverIds } from './testing/key-hashes.js';

/** A strategy with a known, lopsided mapping: key hashes below 3 go to "a", the rest to "b". */
const lopsided: ServerMappingStrategy = {
  name: 'lopsided',
  servers: [
    { id: 'a', weight: 1 },
    { id: 'b', weight: 1 },
    { id: 'idle', weight: 2 },
  ],
  serverFor: (keyHash) => (keyHash < 3n ? 'a' : 'b'),
};

describe('measureBalance', () => {
  it('counts keys per server, lists idle servers with 0, and divides the max by the weighted ideal', () => {
    const { loads, maxOverIdeal } = measureBalance(lopsided, [0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n]);
    expect(loads).toEqual({ a: 3, b: 5, idle: 0 });
    // ideal for "b" is 8 * 1/4 = 2 keys; it has 5
    expect(maxOverIdeal).toBe(2.5);
  });

  it('falls back to the servers it saw when a strategy does not list them', () => {
    const anonymous: ServerMappingStrategy = { name: 'anon', serverFor: lopsided.serverFor };
    const { loads, maxOverIdeal } = measureBalance(anonymous, [0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n]);
    expect(loads).toEqual({ a: 3, b: 5 });
    expect(maxOverIdeal).toBe(1.25);
  });

  it('accepts plain arrays and BigUint64Array alike, and the loads add up to the sample size', () => {
    const keys = sampleKeyHashes(5000);
    for (const kind of STRATEGY_KINDS) {
      const strategy = createStrategy(kind, serverIds(5));
      const fromTyped = measureBalance(strategy, keys);
      const fromArray = measureBalance(strategy, Array.from(keys));
      expect(fromArray).toEqual(fromTyped);
      expect(Object.values(fromTyped.loads).reduce((a, b) => a + b, 0)).toBe(5000);
      expect(fromTyped.maxOverIdeal).toBeGreaterThanOrEqual(1);
    }
  });

  it('rejects an empty sample and a server the strategy does not list with INVALID_ARGUMENT', () => {
    expectRedoubtError(() => measureBalance(lopsided, []), 'INVALID_ARGUMENT');
    const liar: ServerMappingStrategy = { ...lopsided, serverFor: () => 'ghost' };
    expectRedoubtError(() => measureBalance(liar, [1n]), 'INVALID_ARGUMENT');
  });
});

describe('measureMovement', () => {
  it('counts the keys whose server changed', () => {
    const shifted: ServerMappingStrategy = { ...lopsided, serverFor: (h) => (h < 5n ? 'a' : 'b') };
    const { moved, fraction } = measureMovement(lopsided, shifted, [0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n]);
    expect(moved).toBe(2);
    expect(fraction).toBe(0.25);
  });

  it('reports the minimum possible movement: 1/(N+1) for one server added, 1/N for one removed', () => {
    const keys = sampleKeyHashes(100);
    for (const n of [3, 10, 64]) {
      const base = createStrategy('rendezvous', serverIds(n));
      const added = measureMovement(base, createStrategy('rendezvous', serverIds(n + 1)), keys);
      const removed = measureMovement(base, createStrategy('rendezvous', serverIds(n - 1)), keys);
      expect(added.minimumFraction).toBeCloseTo(1 / (n + 1), 12);
      expect(removed.minimumFraction).toBeCloseTo(1 / n, 12);
    }
  });

  it('reports the minimum for weighted changes as the share the shrinking servers lose', () => {
    const before = createStrategy('rendezvous', [
      { id: 'a', weight: 1 },
      { id: 'b', weight: 3 },
    ]);
    const after = createStrategy('rendezvous', [
      { id: 'a', weight: 1 },
      { id: 'b', weight: 1 },
    ]);
    // b goes from 3/4 to 1/2 of the keys: a quarter must move
    expect(measureMovement(before, after, [1n]).minimumFraction).toBeCloseTo(0.25, 12);
  });

  it('is zero for identical strategies, and leaves the minimum out when servers are unknown', () => {
    const keys = sampleKeyHashes(1000);
    const ring = createStrategy('ring', serverIds(4));
    expect(measureMovement(ring, createStrategy('ring', serverIds(4)), keys)).toEqual({
      moved: 0,
      fraction: 0,
      minimumFraction: 0,
    });
    const anonymous: ServerMappingStrategy = { name: 'anon', serverFor: ring.serverFor };
    expect(measureMovement(anonymous, ring, keys)).toEqual({ moved: 0, fraction: 0 });
  });

  it('rejects an empty sample with INVALID_ARGUMENT', () => {
    expectRedoubtError(() => measureMovement(lopsided, lopsided, new BigUint64Array(0)), 'INVALID_ARGUMENT');
  });
});
