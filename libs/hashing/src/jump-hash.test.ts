import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jumpHash, MAX_JUMP_BUCKETS } from './jump-hash.js';
import { expectRedoubtError } from './testing/expect-redoubt-error.js';
import { anyUint64 } from './testing/arbitraries.js';

/** Line-by-line BigInt transcription of the paper's C++ code, as the reference. */
function referenceJumpHash(key: bigint, buckets: number): number {
  let b = -1n;
  let j = 0n;
  while (j < BigInt(buckets)) {
    b = j;
    key = (key * 2862933555777941757n + 1n) & 0xffff_ffff_ffff_ffffn;
    j = BigInt(Math.floor(Number(b + 1n) * (Number(1n << 31n) / Number((key >> 33n) + 1n))));
  }
  return Number(b);
}

const keyHash = anyUint64;

describe('jumpHash', () => {
  it("matches Guava's golden values (consistentHash, cross-language compatibility test)", () => {
    const golden100 = [0, 55, 62, 8, 45, 59, 86, 97, 82, 59, 73, 37, 17, 56, 86, 21, 90, 37, 38, 83];
    golden100.forEach((expected, key) => expect(jumpHash(BigInt(key), 100)).toBe(expected));
    expect(jumpHash(10863919174838991n, 11)).toBe(6);
    expect(jumpHash(2016238256797177309n, 11)).toBe(3);
    expect(jumpHash(1673758223894951030n, 11)).toBe(5);
    expect(jumpHash(2n, 100001)).toBe(80343);
    expect(jumpHash(2201n, 100001)).toBe(22152);
    expect(jumpHash(2202n, 100001)).toBe(15018);
  });

  it('equals the reference algorithm for any 64-bit key and bucket count', () => {
    fc.assert(
      fc.property(
        keyHash,
        fc.oneof(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: MAX_JUMP_BUCKETS })),
        (key, buckets) => {
          expect(jumpHash(key, buckets)).toBe(referenceJumpHash(key, buckets));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('always returns a bucket in [0, buckets), and 0 for one bucket', () => {
    fc.assert(
      fc.property(keyHash, fc.integer({ min: 1, max: MAX_JUMP_BUCKETS }), (key, buckets) => {
        const bucket = jumpHash(key, buckets);
        expect(Number.isInteger(bucket) && bucket >= 0 && bucket < buckets).toBe(true);
        expect(jumpHash(key, 1)).toBe(0);
      }),
      { numRuns: 500 },
    );
  });

  it('is monotone: adding a bucket only moves keys into the new bucket', () => {
    fc.assert(
      fc.property(keyHash, fc.integer({ min: 1, max: 5000 }), (key, buckets) => {
        const before = jumpHash(key, buckets);
        const after = jumpHash(key, buckets + 1);
        expect(after === before || after === buckets).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects a bucket count that is not an integer in [1, 2^31 - 1] with INVALID_ARGUMENT', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, Infinity, 2 ** 31, '8', undefined]) {
      expectRedoubtError(() => jumpHash(1n, bad as number), 'INVALID_ARGUMENT');
    }
  });

  it('rejects a key hash outside [0, 2^64) with INVALID_ARGUMENT instead of wrapping it', () => {
    for (const bad of [-1n, 2n ** 64n, 7, '7', null]) {
      expectRedoubtError(() => jumpHash(bad as bigint, 10), 'INVALID_ARGUMENT');
    }
  });
});
