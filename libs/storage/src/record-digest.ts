import { hash64 } from '@redoubt/hashing';
import { BUCKETS } from './storage-keys.js';
import type { StoreDigest } from './storage-types.js';

/** Digests are 64-bit, kept as 8 big-endian bytes (so their hex is the hex of the number). */
export const DIGEST_BYTES = 8;

/**
 * What one record contributes to its bucket's digest: XXH64 of `key \0 version \0 tombstone`. The value is
 * left out on purpose: a version names exactly one value cluster-wide (the writer stamps a new version per
 * write), and the record's checksum already guards the value bytes. The separators make the encoding
 * injective (a version never contains \0, so the split from the right is unique).
 */
export function recordDigest(key: string, version: string, tombstone: boolean): Buffer {
  const out = Buffer.allocUnsafe(DIGEST_BYTES);
  out.writeBigUInt64BE(hash64(`${key}\u0000${version}\u0000${tombstone ? 1 : 0}`));
  return out;
}

/**
 * target[at..at+8) ^= source, over 8 bytes. XOR is its own inverse: the same call adds and removes a
 * record. An offset rather than a subarray of the target: this runs for every applied put, and a
 * subarray allocates a Buffer view per call (a saving too small to show in the store benchmark's noise).
 */
export function xorInto(target: Uint8Array, source: Uint8Array, at = 0): void {
  for (let i = 0; i < DIGEST_BYTES; i++) target[at + i]! ^= source[i]!;
}

/** The root of a partition: XXH64 over its bucket digests in bucket order (64 x 8 bytes). */
export function rootOf(bucketDigests: Buffer): string {
  return hash64(bucketDigests).toString(16).padStart(16, '0');
}

/** A partition's digest from its bucket digests (BUCKETS x 8 bytes) and totals. */
export function digestOf(partition: number, digests: Buffer, records: number, bytes: number): StoreDigest {
  const buckets: string[] = new Array(BUCKETS);
  for (let b = 0; b < BUCKETS; b++)
    buckets[b] = digests.toString('hex', b * DIGEST_BYTES, (b + 1) * DIGEST_BYTES);
  return { partition, root: rootOf(digests), buckets, records, bytes };
}
