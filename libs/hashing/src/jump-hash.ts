import { RedoubtError } from '@redoubt/errors';
import { loadedHi, loadedLo, loadUint64 } from './uint64-words.js';

/** Jump hash works on int32 bucket numbers (as in the paper and in Guava). */
export const MAX_JUMP_BUCKETS = 2 ** 31 - 1;

// The paper's LCG multiplier 2862933555777941757 = 0x27BB2EE6_87B0B0FD, split for 32-bit arithmetic.
const MUL_HI = 0x27bb2ee6;
const MUL_LO = 0x87b0b0fd;
const MUL_LO_0 = MUL_LO & 0xffff;
const MUL_LO_1 = MUL_LO >>> 16;

/**
 * Jump consistent hash (Lamping & Veach, 2014): the bucket in [0, buckets) for a 64-bit key hash. Adding a
 * bucket moves only the keys that land in the new bucket (1/(n+1) of them); it can only add or remove the
 * LAST bucket, which is why the jump strategy takes servers in a fixed order.
 *
 * Bit-for-bit the reference algorithm (checked against Guava's golden values and a BigInt transcription).
 */
export function jumpHash(keyHash: bigint, buckets: number): number {
  assertJumpBuckets(buckets);
  loadUint64(keyHash);
  return jumpHashWords(loadedHi(), loadedLo(), buckets);
}

/** Throws INVALID_ARGUMENT unless `buckets` is an integer in [1, 2^31 - 1]. */
export function assertJumpBuckets(buckets: number): void {
  // `(x | 0) === x` is the cheapest exact int32 test; it also rejects NaN, fractions and anything >= 2^31.
  if ((buckets | 0) !== buckets || buckets < 1) {
    throw new RedoubtError('INVALID_ARGUMENT', 'the bucket count must be an integer in [1, 2^31 - 1]', {
      buckets: typeof buckets === 'number' ? buckets : String(buckets),
    });
  }
}

/**
 * The jump hash loop on the key's two unsigned 32-bit halves, with `buckets` already checked.
 *
 * The reference computes `key = key * 2862933555777941757 + 1` in uint64 and then
 * `j = (b + 1) * (2^31 / ((key >> 33) + 1))` in double precision. Here the 64-bit product is built from
 * 32-bit pieces: the low word with Math.imul, the high word from the cross products plus the carry out of
 * `lo * MUL_LO` (computed exactly from 16-bit partial products, all below 2^53). The floating-point part is
 * the same IEEE arithmetic as the C++ original, so results match it exactly.
 */
export function jumpHashWords(hi: number, lo: number, buckets: number): number {
  let b = 0;
  for (;;) {
    // carry = high 32 bits of the 64-bit product lo * MUL_LO
    const a0 = lo & 0xffff;
    const a1 = lo >>> 16;
    const p01 = a0 * MUL_LO_1;
    const p10 = a1 * MUL_LO_0;
    const mid = ((a0 * MUL_LO_0) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
    const carry = a1 * MUL_LO_1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
    const nextLo = (Math.imul(lo, MUL_LO) >>> 0) + 1; // may reach 2^32: then the +1 carries into hi
    hi = (carry + Math.imul(hi, MUL_LO) + Math.imul(lo, MUL_HI) + (nextLo > 0xffffffff ? 1 : 0)) >>> 0;
    lo = nextLo >>> 0;
    // (key >> 33) is the high word shifted right by one.
    const next = (b + 1) * (2147483648 / ((hi >>> 1) + 1));
    if (next >= buckets) return b;
    b = next | 0; // next < buckets <= 2^31 - 1, so truncation through int32 equals the reference's (int64) cast
  }
}
