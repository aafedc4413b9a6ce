import { DIGEST_BYTES } from './record-digest.js';
import { viewOf } from './record-layout.js';

/**
 * Running aggregates, kept in the same write transaction as the records they summarise:
 *
 * - per bucket (`buckets` database, key `[partition][bucket]`): XOR of its records' digests, record count,
 *   accounted bytes;
 * - per partition (`partitions` database, key `[partition]`): record count and bytes, so listing
 *   partitions reads one small entry per partition.
 *
 * Counts and bytes are float64 (exact up to 2^53).
 */
export interface BucketAggregate {
  digest: Buffer;
  records: number;
  bytes: number;
}

export interface PartitionTotals {
  records: number;
  bytes: number;
}

const BUCKET_ENTRY_BYTES = DIGEST_BYTES + 16;

export function emptyBucket(): BucketAggregate {
  return { digest: Buffer.alloc(DIGEST_BYTES), records: 0, bytes: 0 };
}

export function encodeBucket(aggregate: BucketAggregate): Buffer {
  const out = Buffer.allocUnsafe(BUCKET_ENTRY_BYTES);
  aggregate.digest.copy(out, 0, 0, DIGEST_BYTES);
  out.writeDoubleBE(aggregate.records, DIGEST_BYTES);
  out.writeDoubleBE(aggregate.bytes, DIGEST_BYTES + 8);
  return out;
}

/** Decodes into fresh memory; a missing or malformed entry is an empty bucket. */
export function decodeBucket(bytes: Uint8Array | undefined): BucketAggregate {
  if (!bytes || bytes.length !== BUCKET_ENTRY_BYTES) return emptyBucket();
  const buf = viewOf(bytes);
  return {
    digest: Buffer.from(buf.subarray(0, DIGEST_BYTES)),
    records: buf.readDoubleBE(DIGEST_BYTES),
    bytes: buf.readDoubleBE(DIGEST_BYTES + 8),
  };
}

export function encodeTotals(totals: PartitionTotals): Buffer {
  const out = Buffer.allocUnsafe(16);
  out.writeDoubleBE(totals.records, 0);
  out.writeDoubleBE(totals.bytes, 8);
  return out;
}

export function decodeTotals(bytes: Uint8Array | undefined): PartitionTotals {
  if (!bytes || bytes.length !== 16) return { records: 0, bytes: 0 };
  const buf = viewOf(bytes);
  return { records: buf.readDoubleBE(0), bytes: buf.readDoubleBE(8) };
}
