import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Database, RootDatabase } from 'lmdb';
import type { PartitionAggregates } from './aggregates.js';
import { decodeHeader } from './record-layout.js';
import { bucketOfRecordKey, partitionOfRecordKey } from './storage-keys.js';

type Records = Database<Buffer, Buffer>;
type ReadSnapshot = ReturnType<RootDatabase['useReadTransaction']>;

/** Adds one stored record's contribution; a record whose header is damaged counts for nothing. */
function countRecord(into: PartitionAggregates, key: Buffer, value: Buffer): void {
  const header = decodeHeader(value);
  if (header === undefined) return;
  into.apply(partitionOfRecordKey(key), bucketOfRecordKey(key), header.digest, header.bytes, 1);
}

/** Every record's header, in one synchronous walk (the store's fallback after a failed write). */
export function countRecordsNow(records: Records, into: PartitionAggregates): void {
  for (const { key, value } of records.getRange({})) countRecord(into, key, value);
}

export interface BackgroundCountOptions {
  /** The read snapshot to walk; held until the walk ends. */
  snapshot: ReadSnapshot;
  /** Records between two yields to the event loop, so requests are served during the walk. */
  chunk: number;
  /** Asked before each record: true stops the walk (the store is closing, or the count was dropped). */
  stop: () => boolean;
}

/**
 * Every record's header as `snapshot` sees it, counted into `into` a chunk at a time. Resolves true when
 * the walk reached the end, false when `stop` ended it first.
 */
export async function countRecordsInBackground(
  records: Records,
  into: PartitionAggregates,
  options: BackgroundCountOptions,
): Promise<boolean> {
  let counted = 0;
  for (const { key, value } of records.getRange({ transaction: options.snapshot })) {
    if (options.stop()) return false;
    countRecord(into, key, value);
    if (++counted % options.chunk === 0) await yieldToEventLoop();
  }
  return !options.stop();
}
