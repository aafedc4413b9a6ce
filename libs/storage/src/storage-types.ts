import type { RedoubtError } from '@redoubt/errors';
import type { StoredRecord, Version } from '@redoubt/records';

export interface RecordStoreOptions {
  /** The node's own directory for its LMDB environment (created if missing). */
  path: string;
  /** P, the cluster's fixed partition count; keys are checked against it. Default 4096. */
  partitions?: number;
  /** Hooks for metrics; the store itself stays free of any metrics library. */
  observer?: StoreObserver;
  /** Records the background recount (after an unclean shutdown) walks between yields. Default 2048. */
  recountChunk?: number;
}

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
