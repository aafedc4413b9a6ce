export { RecordStore } from './record-store.js';
export { corruptRecordForTest, type CorruptOptions } from './corrupt-for-test.js';
export { BUCKETS, bucketOf, placeKey } from './storage-keys.js';
export { recordDigest } from './record-digest.js';
export type {
  AggregatesRecovery,
  PutItem,
  PutManyResult,
  PutResult,
  RecordStoreOptions,
  ScanItem,
  ScanOptions,
  ScrubResult,
  StoreDigest,
  StoreObserver,
  StoreEngine,
  StorePartitionSummary,
} from './storage-types.js';
