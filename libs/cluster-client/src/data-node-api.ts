import type { StoredRecord, Version } from '@redoubt/records';
import type { RecordFrameBatch } from './frames.js';

/**
 * The contract between data nodes and everything that talks to them (gateway, backup-worker, monitor,
 * chaos checker). The wire protocol behind it is described in docs/internal-protocol.md; callers only
 * see this interface. Every method rejects with a RedoubtError (REPLICA_UNAVAILABLE, REPLICA_TIMEOUT,
 * RECORD_CORRUPT, WRONG_PARTITION, AUTH_* ...), never with a raw transport error.
 */

export interface DataNodeAddress {
  id: string;
  url: string; // http://127.0.0.1:7101
}

/** A put is durable (fsynced) before it resolves. `stale`: the node already held this or a newer version, which also counts as durable. */
export interface PutOutcome {
  status: 'applied' | 'stale';
  /** The version the node holds for the key after the put. */
  current: Version;
}

export interface PartitionDigest {
  partition: number;
  /** Hex digest over all buckets; equal roots mean equal partitions. */
  root: string;
  /** One hex digest per sub-range ("bucket") of the partition, in bucket order. */
  buckets: string[];
  records: number;
  bytes: number;
}

export interface PartitionSummary {
  partition: number;
  records: number;
  bytes: number;
  /** The partition's digest root (as `digest(partition).root`); absent from nodes older than it. */
  root?: string;
}

export interface StreamOutOptions {
  /** Only these sub-ranges (bucket indices); all when omitted. */
  buckets?: number[];
  /** Only records with a version newer than this. */
  since?: Version;
}

export interface StreamInResult {
  applied: number;
  stale: number;
  bytes: number;
  /** Records the node refused one by one (damaged in transit, wrong partition, malformed); the rest were merged. */
  rejected?: number;
}

export interface RequestOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface DataNodeApi {
  readonly id: string;
  readonly url: string;
  /** Writes one record version (a tombstone deletes). Concurrent puts to the same node are coalesced into one request. */
  put(partition: number, record: StoredRecord, options?: RequestOptions): Promise<PutOutcome>;
  /** The node's record for the key (tombstones included), or null when it has none. Checksum verified. */
  get(partition: number, key: string, options?: RequestOptions): Promise<StoredRecord | null>;
  digest(partition: number, options?: RequestOptions): Promise<PartitionDigest>;
  /** Records of a partition in key order within each bucket, back-pressured. */
  streamOut(partition: number, options?: StreamOutOptions & RequestOptions): AsyncIterable<StoredRecord>;
  /** Merges records by version (never overwrites newer), durable when it resolves. */
  streamIn(
    partition: number,
    records: AsyncIterable<StoredRecord> | Iterable<StoredRecord>,
    options?: RequestOptions,
  ): Promise<StreamInResult>;
  /**
   * streamIn of records already framed (RecordFrameBatcher): what a restore uses to frame each record once
   * and send the same batches to every replica.
   */
  streamInBatches(
    partition: number,
    batches: AsyncIterable<RecordFrameBatch> | Iterable<RecordFrameBatch>,
    options?: RequestOptions,
  ): Promise<StreamInResult>;
  /** Every partition holding a record, with its digest root: one request answers for the whole node. */
  listPartitions(options?: RequestOptions): Promise<PartitionSummary[]>;
  /** Removes every record of the partition from this node (after a verified move elsewhere). */
  dropPartition(partition: number, options?: RequestOptions): Promise<void>;
  /** Re-reads every record of the node (or of one partition) and returns the corrupt ones' keys. */
  scrub(
    options?: { partition?: number } & RequestOptions,
  ): Promise<{ checked: number; corrupt: { partition: number; key: string }[] }>;
  /** True when /readyz answers 200. Never throws. */
  ready(options?: RequestOptions): Promise<boolean>;
  close(): Promise<void>;
}
