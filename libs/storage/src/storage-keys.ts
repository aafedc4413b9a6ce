import { hash64, partitionOfHash } from '@redoubt/hashing';

/**
 * The LMDB key layout. A record lives at `[partition u32 BE][bucket u8][key UTF-8]`, so that
 *
 * - one partition is one contiguous key range (stream it, drop it, scrub it with a range scan);
 * - one bucket (sub-range) of a partition is a contiguous range inside it, and its digest can be compared
 *   and re-streamed on its own;
 * - within a bucket, records are in key byte order, the same on every replica.
 *
 * The bucket is the top 6 bits of the key's 64-bit hash, while the partition comes from the hash modulo P
 * (the low bits for the default power-of-two P), so buckets split every partition evenly.
 */
export const BUCKETS = 64;

const BUCKET_SHIFT = 58n; // 64 - log2(BUCKETS)

/** Partition and bucket of a key, from one hash. */
export function placeKey(key: string, partitions: number): { partition: number; bucket: number } {
  const h = hash64(key);
  return { partition: partitionOfHash(h, partitions), bucket: Number(h >> BUCKET_SHIFT) };
}

export function bucketOf(key: string): number {
  return Number(hash64(key) >> BUCKET_SHIFT);
}

export const PARTITION_PREFIX_BYTES = 4;
export const RECORD_PREFIX_BYTES = 5;

export function recordKey(partition: number, bucket: number, key: string): Buffer {
  const keyBytes = Buffer.byteLength(key, 'utf8');
  const out = Buffer.allocUnsafe(RECORD_PREFIX_BYTES + keyBytes);
  out.writeUInt32BE(partition, 0);
  out[4] = bucket;
  out.write(key, RECORD_PREFIX_BYTES, 'utf8');
  return out;
}

/** The user key of a record key. */
export function userKeyOf(lmdbKey: Uint8Array): string {
  return Buffer.from(lmdbKey.buffer, lmdbKey.byteOffset, lmdbKey.length).toString(
    'utf8',
    RECORD_PREFIX_BYTES,
  );
}

export function partitionOfRecordKey(lmdbKey: Uint8Array): number {
  return Buffer.from(lmdbKey.buffer, lmdbKey.byteOffset, lmdbKey.length).readUInt32BE(0);
}

export function bucketOfRecordKey(lmdbKey: Uint8Array): number {
  return lmdbKey[4]!;
}

/** `[partition]`: the start of a partition's range, and the key of its totals entry. */
export function partitionKey(partition: number): Buffer {
  const out = Buffer.allocUnsafe(PARTITION_PREFIX_BYTES);
  out.writeUInt32BE(partition, 0);
  return out;
}

/** `[partition][bucket]`: the start of a bucket's range, and the key of its aggregate entry. */
export function bucketKey(partition: number, bucket: number): Buffer {
  const out = Buffer.allocUnsafe(RECORD_PREFIX_BYTES);
  out.writeUInt32BE(partition, 0);
  out[4] = bucket;
  return out;
}

/**
 * The exclusive end of a partition's range: the next partition's prefix. The last possible partition
 * (2^32 - 1) has no successor prefix, so it ends at a 5-byte key that sorts after all its records' buckets.
 */
export function partitionEnd(partition: number): Buffer {
  if (partition < 0xffffffff) return partitionKey(partition + 1);
  return Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
}

/** The exclusive end of a bucket's range. */
export function bucketEnd(partition: number, bucket: number): Buffer {
  return bucket + 1 < 256 ? bucketKey(partition, bucket + 1) : partitionEnd(partition);
}
