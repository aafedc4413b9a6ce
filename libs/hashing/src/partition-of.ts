import { RedoubtError } from '@redoubt/errors';
import { hash64 } from './hash64.js';
import { loadedHi, loadedLo, loadUint64 } from './uint64-words.js';

/** The fixed number of partitions ("blocks") keys hash to, unless a deployment chooses another. */
export const DEFAULT_PARTITIONS = 4096;

/** Upper bound for a partition count: keeps the 64-bit modulo below exact in double arithmetic. */
export const MAX_PARTITIONS = 2 ** 32;

/**
 * The partition a key belongs to: `hash64(key) mod partitions`.
 *
 * This is part of the on-disk and wire contract: data nodes store records by partition and the placement maps
 * partitions to servers, so changing this function (or `hash64`, or the partition count of a running cluster)
 * re-homes every key. Tests pin it with fixed vectors.
 *
 * Hot path: the only allocation is the bigint returned by the hash; the modulo runs on its 32-bit halves.
 */
export function partitionOf(key: string | Uint8Array, partitions: number = DEFAULT_PARTITIONS): number {
  if (partitions !== DEFAULT_PARTITIONS) assertPartitionCount(partitions);
  loadUint64(hash64(key));
  return modUint64(loadedHi(), loadedLo(), partitions);
}

/** Same as {@link partitionOf} for a key whose hash the caller already has. */
export function partitionOfHash(keyHash: bigint, partitions: number = DEFAULT_PARTITIONS): number {
  if (partitions !== DEFAULT_PARTITIONS) assertPartitionCount(partitions);
  loadUint64(keyHash);
  return modUint64(loadedHi(), loadedLo(), partitions);
}

/** Throws PLACEMENT_BAD_PARTITIONS unless `partitions` is an integer in [1, 2^32]. */
export function assertPartitionCount(partitions: number): void {
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS) {
    throw new RedoubtError(
      'PLACEMENT_BAD_PARTITIONS',
      `the partition count must be an integer in [1, 2^32]`,
      {
        partitions: typeof partitions === 'number' ? partitions : String(partitions),
      },
    );
  }
}

/**
 * `(hi * 2^32 + lo) mod m` for unsigned 32-bit `hi`, `lo` and an integer `m` in [1, 2^32], exactly, in
 * double arithmetic: the running remainder stays below 2^32, so `r * 2^16 + 16 bits` stays below 2^48.
 */
export function modUint64(hi: number, lo: number, m: number): number {
  // A power of two up to 2^32 divides 2^32, so only the low word matters (the default, 4096, takes this path).
  if ((m & (m - 1)) === 0) return lo % m;
  let r = hi % m;
  r = (r * 65536 + (lo >>> 16)) % m;
  return (r * 65536 + (lo & 0xffff)) % m;
}
