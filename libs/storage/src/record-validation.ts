import { RedoubtError } from '@redoubt/errors';
import { assertVersion, isIntact, validateKey, type StoredRecord } from '@redoubt/records';
import { MAX_CONTENT_TYPE_BYTES } from './record-layout.js';
import { BUCKETS, placeKey } from './storage-keys.js';

export function assertPartition(partition: unknown, partitions: number): number {
  if (
    typeof partition !== 'number' ||
    !Number.isInteger(partition) ||
    partition < 0 ||
    partition >= partitions
  ) {
    throw new RedoubtError(
      'INVALID_ARGUMENT',
      `partition ${String(partition)} is outside 0..${partitions - 1}`,
      {
        partitions,
      },
    );
  }
  return partition;
}

/** The bucket of a key that must belong to `partition`; WRONG_PARTITION otherwise. */
export function bucketInPartition(key: string, partition: number, partitions: number): number {
  validateKey(key);
  const placed = placeKey(key, partitions);
  if (placed.partition !== partition) {
    throw new RedoubtError(
      'WRONG_PARTITION',
      `key ${JSON.stringify(key)} belongs to partition ${placed.partition}`,
      {
        key,
        partition,
        expected: placed.partition,
      },
    );
  }
  return placed.bucket;
}

/**
 * Checks a record that arrives from outside (a put, a batch, a stream) before it goes near a write
 * transaction: well-formed fields, an intact checksum (a record damaged in transit is refused with
 * RECORD_CORRUPT, never stored), and a key of this partition. Returns the key's bucket.
 */
export function validateIncoming(partition: number, record: StoredRecord, partitions: number): number {
  assertPartition(partition, partitions);
  if (typeof record !== 'object' || record === null) {
    throw new RedoubtError('INVALID_ARGUMENT', 'a record must be an object');
  }
  const { value, contentType, tombstone, checksum } = record;
  if (!(value instanceof Uint8Array))
    throw new RedoubtError('INVALID_ARGUMENT', 'record.value must be bytes');
  if (typeof contentType !== 'string' || Buffer.byteLength(contentType, 'utf8') > MAX_CONTENT_TYPE_BYTES) {
    throw new RedoubtError(
      'INVALID_ARGUMENT',
      `record.contentType must be a string of at most ${MAX_CONTENT_TYPE_BYTES} bytes`,
    );
  }
  if (typeof tombstone !== 'boolean')
    throw new RedoubtError('INVALID_ARGUMENT', 'record.tombstone must be a boolean');
  if (tombstone && value.byteLength !== 0) {
    throw new RedoubtError('INVALID_ARGUMENT', 'a tombstone carries no value');
  }
  if (typeof checksum !== 'number' || !Number.isInteger(checksum) || checksum < 0 || checksum > 0xffffffff) {
    throw new RedoubtError('INVALID_ARGUMENT', 'record.checksum must be an unsigned 32-bit integer');
  }
  assertVersion(record.version);
  const bucket = bucketInPartition(record.key, partition, partitions);
  if (!isIntact(record)) {
    throw new RedoubtError(
      'RECORD_CORRUPT',
      `incoming record for key ${JSON.stringify(record.key)} failed its checksum`,
      {
        key: record.key,
        version: record.version,
      },
    );
  }
  return bucket;
}

/** The buckets a scan asked for, distinct and ascending; INVALID_ARGUMENT for one outside 0..BUCKETS-1. */
export function assertBuckets(buckets: readonly number[]): number[] {
  for (const bucket of buckets) {
    if (!Number.isInteger(bucket) || bucket < 0 || bucket >= BUCKETS) {
      throw new RedoubtError('INVALID_ARGUMENT', `bucket ${bucket} is outside 0..${BUCKETS - 1}`);
    }
  }
  return [...new Set(buckets)].sort((a, b) => a - b);
}

/** RECORD_CORRUPT for a stored record that failed its checksum (or whose header is unreadable). */
export function storedRecordCorrupt(
  partition: number,
  key: string,
  version: string | undefined,
): RedoubtError {
  return new RedoubtError(
    'RECORD_CORRUPT',
    `the stored record for key ${JSON.stringify(key)} failed its checksum`,
    {
      partition,
      key,
      version: version || null,
    },
  );
}
