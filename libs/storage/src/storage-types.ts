import type { RedoubtError } from '@redoubt/errors';
import type { StoredRecord, Version } from '@redoubt/records';
import type { LogFileSystem } from './log-file-system.js';

export interface RecordStoreOptions {
  /** The node's own directory for its LMDB environment (created if missing). */
  path: string;
  /** P, the cluster's fixed partition count; keys are checked against it. Default 4096. */
  partitions?: number;
  /** Hooks for metrics; the store itself stays free of any metrics library. */
  observer?: StoreObserver;
  /** Records the background recount (after an unclean shutdown) walks between yields. Default 2048. */
  recountChunk?: number;
  /**
   * The storage engine: `log` (append-only segments and an in-memory key directory; what data nodes run,
   * apps/data `STORE_ENGINE` default `log`) or `lmdb` (a B-tree). Omitted, `RecordStore.open` opens `lmdb`
   * (the engine before the log existed; the LMDB tests and the backup restore drill's scratch
   * store rely on it). A directory written by one engine is refused by the other.
   */
  engine?: StoreEngine;
  /** Log engine: the size at which a segment is sealed and the next one started. Default 64 MiB. */
  segmentBytes?: number;
  /**
   * Log engine: the file layer (log-file-system.ts). Default `node:fs`; tests pass the fault-injecting or
   * power-loss simulating ones of `@redoubt/storage/testing`.
   */
  fileSystem?: LogFileSystem;
}

export type StoreEngine = 'lmdb' | 'log';

export interface StoreObserver {
  /** A stored record failed its checksum (on a read, a scan, a scrub or a write's stale check). */
  corrupt?(partition: number, key: string): void;
  /** A write transaction committed durably: wall time from queueing to durable commit, and its writes. */
  committed?(seconds: number, writes: number): void;
}

/** `stale`: the store already held this or a newer version (as durable as `applied`). */
export interface PutResult {
  status: 'applied' | 'stale';
  /** The version the store holds for the key after the put. */
  current: Version;
}

export interface PutItem {
  partition: number;
  record: StoredRecord;
}

/** One result per item of `putMany`, in order: the outcome or the error for that item alone. */
export type PutManyResult = PutResult | RedoubtError;

export interface StoreDigest {
  partition: number;
  /** 16 hex digits; equal roots mean equal partitions. */
  root: string;
  /** 16 hex digits per bucket, in bucket order. */
  buckets: string[];
  records: number;
  bytes: number;
}

export interface StorePartitionSummary {
  partition: number;
  records: number;
  bytes: number;
}

export interface ScanOptions {
  /** Only these buckets (sub-ranges); every bucket when omitted. */
  buckets?: readonly number[];
  /** Only records with a version newer than this. */
  since?: Version;
  /** Entries read per LMDB read transaction (memory bound of a scan). Default 256. */
  pageSize?: number;
}

/** A scan yields intact records and names corrupt ones (never serving their bytes). */
export type ScanItem =
  { record: StoredRecord; corruptKey?: undefined } | { record?: undefined; corruptKey: string };

export interface ScrubResult {
  checked: number;
  corrupt: { partition: number; key: string }[];
}

/** How the store got its aggregates when it opened (logged by the data node). */
export interface AggregatesRecovery {
  /** `checkpoint`: written by the last clean close; `rebuilt`: recounted from every record. */
  source: 'checkpoint' | 'rebuilt';
  records: number;
  ms: number;
  /** The store closed before the recount ended (the next open recounts again). */
  interrupted?: true;
}

/** The durable record store of a data node, whichever engine holds it (record-store.ts opens one). */
export interface RecordStore {
  readonly engine: StoreEngine;
  readonly partitions: number;
  readonly path: string;
  /**
   * Resolves once the aggregates are whole: at once from a checkpoint or a replay, else when the
   * background recount ends (reads and writes are served meanwhile; digests are not). Never rejects.
   */
  readonly recovery: Promise<AggregatesRecovery>;
  isOpen(): boolean;
  /** The record for `key` (tombstones included), null when absent; RECORD_CORRUPT when it fails its checksum. */
  get(partition: number, key: string): StoredRecord | null;
  put(partition: number, record: StoredRecord): Promise<PutResult>;
  /**
   * Applies many puts durably. Each item gets its own result: `applied`, `stale` (this or a newer
   * version is already stored) or the error that concerns that item alone (INVALID_ARGUMENT,
   * WRONG_PARTITION, RECORD_CORRUPT for a damaged incoming record...). Rejects as a whole only when the
   * store itself fails (STORE_UNAVAILABLE, I/O errors): then nothing of it is durable.
   */
  putMany(items: readonly PutItem[]): Promise<PutManyResult[]>;
  /** The digest of a partition from the maintained aggregates (no scan of records). */
  digest(partition: number): StoreDigest;
  /** The digest recomputed from the records by a full scan: what `digest` must always equal. */
  recomputeDigest(partition: number): StoreDigest;
  /** Every partition that holds at least one record (tombstones count), ascending. */
  listPartitions(): StorePartitionSummary[];
  /** True while the aggregates are recounted in the background: digests and partition lists wait. */
  isRecounting(): boolean;
  /** Partitions holding records, and records and bytes over all of them (from the aggregates). */
  totalsAll(): { partitions: number; records: number; bytes: number };
  /** The records of a partition (or some buckets, or those newer than `since`), bucket then key order. */
  scan(partition: number, options?: ScanOptions): AsyncGenerator<ScanItem>;
  /** Removes every record of a partition; returns how many were removed. */
  dropPartition(partition: number): Promise<number>;
  /** Re-reads and verifies every record (of one partition, or of the node); returns the corrupt ones. */
  scrub(options?: { partition?: number }): Promise<ScrubResult>;
  /** Engine statistics for metrics and status. */
  stats(): Record<string, unknown>;
  /** Waits for queued writes, then closes the store. Idempotent. */
  close(): Promise<void>;
  /** FOR TESTS: damages the stored bytes of one record in place (see corrupt-for-test.ts). */
  damageForTest(partition: number, key: string, part: 'value' | 'header'): void;
}
