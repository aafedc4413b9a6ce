import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hash64 } from './hash64.js';
import {
  DEFAULT_PARTITIONS,
  MAX_PARTITIONS,
  modUint64,
  partitionOf,
  partitionOfHash,
} from './partition-of.js';
import { anyString } from './testing/arbitraries.js';
import { expectRedoubtError } from './testing/expect-redoubt-error.js';

const utf8 = new TextEncoder();
const keyArbitrary = fc.oneof(anyString(64), fc.uint8Array({ maxLength: 64 }));
const partitionsArbitrary = fc.oneof(
  fc.integer({ min: 1, max: 10_000 }),
  fc.integer({ min: 1, max: MAX_PARTITIONS }),
  fc.integer({ min: 0, max: 32 }).map((bits) => 2 ** bits),
);

describe('partitionOf', () => {
  it('defaults to 4096 partitions', () => {
    expect(DEFAULT_PARTITIONS).toBe(4096);
    expect(partitionOf('user:42')).toBe(partitionOf('user:42', 4096));
  });

  it('stays pinned: the partition of a key is part of the on-disk and wire contract', () => {
    expect(partitionOf('user:42')).toBe(450);
    expect(partitionOf('orders/2024/11/21/0001')).toBe(715);
    expect(partitionOf('καλημέρα')).toBe(3410);
    expect(partitionOf('')).toBe(2457);
    expect(partitionOf('user:42', 1000)).toBe(386);
    expect(partitionOf('🔑', 7)).toBe(2);
  });

  it('is hash64(key) mod P, for any key and any P in [1, 2^32]', () => {
    fc.assert(
      fc.property(keyArbitrary, partitionsArbitrary, (key, partitions) => {
        expect(partitionOf(key, partitions)).toBe(Number(hash64(key) % BigInt(partitions)));
      }),
      { numRuns: 1000 },
    );
  });

  it('always lands in [0, P), deterministically, and a string lands where its UTF-8 bytes do', () => {
    fc.assert(
      fc.property(anyString(64), partitionsArbitrary, (key, partitions) => {
        const partition = partitionOf(key, partitions);
        expect(Number.isInteger(partition) && partition >= 0 && partition < partitions).toBe(true);
        expect(partitionOf(key, partitions)).toBe(partition);
        expect(partitionOf(utf8.encode(key), partitions)).toBe(partition);
      }),
      { numRuns: 1000 },
    );
  });

  it('partitionOfHash agrees with partitionOf for a precomputed hash', () => {
    fc.assert(
      fc.property(keyArbitrary, partitionsArbitrary, (key, partitions) => {
        expect(partitionOfHash(hash64(key), partitions)).toBe(partitionOf(key, partitions));
      }),
      { numRuns: 300 },
    );
  });

  it('rejects a partition count that is not an integer in [1, 2^32] with PLACEMENT_BAD_PARTITIONS', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, Infinity, -Infinity, MAX_PARTITIONS + 1, '4096', null]) {
      expectRedoubtError(() => partitionOf('k', bad as number), 'PLACEMENT_BAD_PARTITIONS');
      expectRedoubtError(() => partitionOfHash(1n, bad as number), 'PLACEMENT_BAD_PARTITIONS');
    }
  });

  it('rejects an out-of-range key hash with INVALID_ARGUMENT', () => {
    expectRedoubtError(() => partitionOfHash(-1n), 'INVALID_ARGUMENT');
    expectRedoubtError(() => partitionOfHash(2n ** 64n), 'INVALID_ARGUMENT');
    expectRedoubtError(() => partitionOfHash(5 as unknown as bigint), 'INVALID_ARGUMENT');
  });
});

describe('modUint64', () => {
  it('is exact at the edges of both words and of the modulus range', () => {
    const words = [0, 1, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
    const moduli = [1, 2, 3, 4095, 4096, 65_537, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32];
    for (const hi of words) {
      for (const lo of words) {
        for (const m of moduli) {
          const expected = Number(((BigInt(hi) << 32n) | BigInt(lo)) % BigInt(m));
          expect(modUint64(hi, lo, m)).toBe(expected);
        }
      }
    }
  });
});
