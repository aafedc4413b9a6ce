import type { StoreDigest, StorePartitionSummary } from './storage-types.js';
import { DIGEST_BYTES, digestOf, xorInto } from './record-digest.js';
import { viewOf } from './record-layout.js';
import { BUCKETS } from './storage-keys.js';

/**
 * The running aggregates of the records a store holds, kept in memory:
 *
 * - per bucket: XOR of its records' digests, record count, accounted bytes;
 * - per partition: record count and bytes (the sums of its buckets).
 *
 * They used to live in LMDB beside the records, updated in every write transaction. That made every put
 * dirty two more B-tree leaves (a bucket entry and a partition entry, at random places) and read and
 * rewrite them: about half of a write transaction's CPU, and about two thirds of the pages a commit
 * writes and fsyncs. Aggregates are derived data: the store keeps them here, writes them out on a clean
 * close with a marker, and rebuilds them from the records after a crash (see RecordStore and
 * docs/decisions/0004-aggregates-in-memory.md).
 *
 * Counts and bytes are float64 (exact up to 2^53).
 */
export interface BucketAggregate {
  digest: Buffer;
  records: number;
  bytes: number;
}

/** One partition's buckets, flat: digests (BUCKETS x 8 bytes), records and bytes per bucket. */
export interface PartitionAggregate {
  digests: Buffer;
  records: Float64Array;
  bytes: Float64Array;
  totalRecords: number;
  totalBytes: number;
}

const ENTRY_BYTES = BUCKETS * (DIGEST_BYTES + 16);

export class PartitionAggregates {
  private readonly byPartition = new Map<number, PartitionAggregate>();
  /**
   * True while these are only the deltas on top of a snapshot still being counted (the store's background
   * recount): a partition may pass through zero records and back, so every entry is kept until
   * `mergeFrom` adds the snapshot's counts (or `clear` starts over).
   */
  holdsDeltas = false;

  /** A record's contribution added (sign 1) to or taken out of (sign -1) its bucket. */
  apply(partition: number, bucket: number, digest: Uint8Array, bytes: number, sign: 1 | -1): void {
    const entry = this.entryOf(partition);
    xorInto(entry.digests, digest, bucket * DIGEST_BYTES);
    entry.records[bucket]! += sign;
    entry.bytes[bucket]! += sign * bytes;
    entry.totalRecords += sign;
    entry.totalBytes += sign * bytes;
    this.forgetIfEmpty(partition, entry);
  }

  /** A partition's digest and totals (all zero for a partition holding nothing). */
  digestOf(partition: number): StoreDigest {
    const entry = this.byPartition.get(partition);
    if (entry === undefined) return digestOf(partition, Buffer.alloc(BUCKETS * DIGEST_BYTES), 0, 0);
    return digestOf(partition, Buffer.from(entry.digests), entry.totalRecords, entry.totalBytes);
  }

  /** A bucket's aggregate replaced by one recounted from its records. */
  setBucket(partition: number, bucket: number, aggregate: BucketAggregate): void {
    const entry = this.entryOf(partition);
    aggregate.digest.copy(entry.digests, bucket * DIGEST_BYTES, 0, DIGEST_BYTES);
    entry.totalRecords += aggregate.records - entry.records[bucket]!;
    entry.totalBytes += aggregate.bytes - entry.bytes[bucket]!;
    entry.records[bucket] = aggregate.records;
    entry.bytes[bucket] = aggregate.bytes;
    this.forgetIfEmpty(partition, entry);
  }

  get(partition: number): PartitionAggregate | undefined {
    return this.byPartition.get(partition);
  }

  /** Every partition that holds at least one record, ascending. */
  list(): StorePartitionSummary[] {
    return [...this.byPartition.entries()]
      .sort(([a], [b]) => a - b)
      .map(([partition, entry]) => ({ partition, records: entry.totalRecords, bytes: entry.totalBytes }));
  }

  partitions(): IterableIterator<[number, PartitionAggregate]> {
    return this.byPartition.entries();
  }

  /**
   * Adds `other` in (digests XORed, counts summed): deltas and the counts of the snapshot they follow
   * combine in any order. Then forgets the partitions left without records and stops retaining them.
   */
  mergeFrom(other: PartitionAggregates): void {
    for (const [partition, from] of other.byPartition) {
      const entry = this.entryOf(partition);
      for (let i = 0; i < from.digests.length; i++) entry.digests[i]! ^= from.digests[i]!;
      for (let b = 0; b < BUCKETS; b++) {
        entry.records[b]! += from.records[b]!;
        entry.bytes[b]! += from.bytes[b]!;
      }
      entry.totalRecords += from.totalRecords;
      entry.totalBytes += from.totalBytes;
    }
    this.holdsDeltas = false;
    for (const [partition, entry] of this.byPartition) this.forgetIfEmpty(partition, entry);
  }

  /** Forgets a partition (dropped: its records are gone). */
  forget(partition: number): void {
    this.byPartition.delete(partition);
  }

  clear(): void {
    this.byPartition.clear();
    this.holdsDeltas = false;
  }

  /** Partitions held, and the records and bytes over all of them. */
  totals(): { partitions: number; records: number; bytes: number } {
    let records = 0;
    let bytes = 0;
    for (const entry of this.byPartition.values()) {
      records += entry.totalRecords;
      bytes += entry.totalBytes;
    }
    return { partitions: this.byPartition.size, records, bytes };
  }

  /** `[digests][records f64 BE x BUCKETS][bytes f64 BE x BUCKETS]`: one partition's checkpoint entry. */
  static encode(entry: PartitionAggregate): Buffer {
    const out = Buffer.allocUnsafe(ENTRY_BYTES);
    entry.digests.copy(out, 0);
    let at = BUCKETS * DIGEST_BYTES;
    for (let b = 0; b < BUCKETS; b++, at += 8) out.writeDoubleBE(entry.records[b]!, at);
    for (let b = 0; b < BUCKETS; b++, at += 8) out.writeDoubleBE(entry.bytes[b]!, at);
    return out;
  }

  /** Loads a checkpoint entry; false when it is malformed (the caller rebuilds instead). */
  load(partition: number, bytes: Uint8Array): boolean {
    if (bytes.length !== ENTRY_BYTES) return false;
    const buf = viewOf(bytes);
    const entry = emptyPartition();
    buf.copy(entry.digests, 0, 0, BUCKETS * DIGEST_BYTES);
    let at = BUCKETS * DIGEST_BYTES;
    for (let b = 0; b < BUCKETS; b++, at += 8) entry.records[b] = buf.readDoubleBE(at);
    for (let b = 0; b < BUCKETS; b++, at += 8) entry.bytes[b] = buf.readDoubleBE(at);
    for (let b = 0; b < BUCKETS; b++) {
      entry.totalRecords += entry.records[b]!;
      entry.totalBytes += entry.bytes[b]!;
    }
    if (entry.totalRecords > 0) this.byPartition.set(partition, entry);
    return true;
  }

  private entryOf(partition: number): PartitionAggregate {
    let entry = this.byPartition.get(partition);
    if (entry === undefined) {
      entry = emptyPartition();
      this.byPartition.set(partition, entry);
    }
    return entry;
  }

  private forgetIfEmpty(partition: number, entry: PartitionAggregate): void {
    if (entry.totalRecords === 0 && !this.holdsDeltas) this.byPartition.delete(partition);
  }
}

export function emptyBucket(): BucketAggregate {
  return { digest: Buffer.alloc(DIGEST_BYTES), records: 0, bytes: 0 };
}

function emptyPartition(): PartitionAggregate {
  return {
    digests: Buffer.alloc(BUCKETS * DIGEST_BYTES),
    records: new Float64Array(BUCKETS),
    bytes: new Float64Array(BUCKETS),
    totalRecords: 0,
    totalBytes: 0,
  };
}

/**
 * The aggregate changes one write transaction makes, applied to the in-memory aggregates only when the
 * transaction's callback completes (a callback that throws aborts its LMDB child transaction, and then
 * must change nothing). A bucket marked for rebuild (a record with a damaged header was replaced or
 * removed, so its old contribution is unknown) is recounted from its records at the end instead.
 */
export class AggregateChanges {
  private readonly deltas: {
    partition: number;
    bucket: number;
    digest: Buffer;
    bytes: number;
    sign: 1 | -1;
  }[] = [];
  private readonly rebuilds = new Map<string, { partition: number; bucket: number }>();

  add(partition: number, bucket: number, digest: Buffer, bytes: number): void {
    this.deltas.push({ partition, bucket, digest, bytes, sign: 1 });
  }

  remove(partition: number, bucket: number, digest: Buffer, bytes: number): void {
    this.deltas.push({ partition, bucket, digest, bytes, sign: -1 });
  }

  rebuild(partition: number, bucket: number): void {
    this.rebuilds.set(`${partition}:${bucket}`, { partition, bucket });
  }

  /** `count` recounts one bucket from the records as the transaction sees them. */
  applyTo(
    aggregates: PartitionAggregates,
    count: (partition: number, bucket: number) => BucketAggregate,
  ): void {
    if (this.rebuilds.size === 0) {
      for (const d of this.deltas) aggregates.apply(d.partition, d.bucket, d.digest, d.bytes, d.sign);
      return;
    }
    const recounted = [...this.rebuilds.values()].map((b) => ({
      ...b,
      aggregate: count(b.partition, b.bucket),
    }));
    for (const d of this.deltas) {
      if (this.rebuilds.has(`${d.partition}:${d.bucket}`)) continue; // the recount includes it
      aggregates.apply(d.partition, d.bucket, d.digest, d.bytes, d.sign);
    }
    for (const r of recounted) aggregates.setBucket(r.partition, r.bucket, r.aggregate);
  }
}
