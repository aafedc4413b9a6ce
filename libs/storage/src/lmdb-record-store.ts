import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { open, type Database, type RootDatabase } from 'lmdb';
import { RedoubtError, toRedoubtError } from '@redoubt/errors';
import { DEFAULT_PARTITIONS } from '@redoubt/hashing';
import { isIntact, type StoredRecord, type Version } from '@redoubt/records';
import { AggregateChanges, PartitionAggregates, emptyBucket, type BucketAggregate } from './aggregates.js';
import { countRecordsInBackground, countRecordsNow } from './aggregates-recount.js';
import { LOG_DIR } from './log-files.js';
import { DIGEST_BYTES, digestOf, recordDigest, xorInto } from './record-digest.js';
import {
  decodeHeader,
  decodeStoredRecord,
  damageStoredRecord,
  encodeStoredRecord,
  storedRecordIntact,
} from './record-layout.js';
import {
  assertBuckets,
  assertPartition,
  bucketInPartition,
  storedRecordCorrupt,
  validateIncoming,
} from './record-validation.js';
import {
  BUCKETS,
  PARTITION_PREFIX_BYTES,
  RECORD_PREFIX_BYTES,
  bucketEnd,
  bucketKey,
  bucketOfRecordKey,
  partitionEnd,
  partitionKey,
  partitionOfRecordKey,
  recordKey,
  userKeyOf,
} from './storage-keys.js';
import type {
  AggregatesRecovery,
  PutItem,
  PutManyResult,
  PutResult,
  RecordStore,
  RecordStoreOptions,
  ScanItem,
  ScanOptions,
  ScrubResult,
  StoreDigest,
  StoreObserver,
  StorePartitionSummary,
} from './storage-types.js';

type BinaryDb = Database<Buffer, Buffer>;

/** A validated put, ready for the write transaction (everything that can be computed outside it is). */
interface PreparedPut {
  partition: number;
  bucket: number;
  lmdbKey: Buffer;
  record: StoredRecord;
  encoded: Buffer;
  digest: Buffer;
  bytes: number;
}

const DEFAULT_PAGE = 256;
const DROP_CHUNK = 1_000;
/** Records the background recount walks between two yields to the event loop. */
const RECOUNT_CHUNK = 2_048;
const FORMAT_KEY = Buffer.from('format');
const FORMAT_VERSION = 1;
/** In `meta` only between a clean close and the next open: the `aggregates` database can be trusted. */
const AGGREGATES_CLEAN_KEY = Buffer.from('aggregates-clean');

/**
 * The durable record store of a data node, on LMDB (see the README for why LMDB and for the layout).
 *
 * Writes go through `putMany`: every put of a call is decided (last writer wins) and applied inside one
 * LMDB write transaction, together with the digest and count updates it causes, so concurrent writers
 * can never interleave between the read of the current version and the write of the new one. lmdb-js
 * queues transaction callbacks and runs all callbacks queued meanwhile in ONE LMDB transaction with ONE
 * fsync (group commit); the returned promise resolves only after that commit is on disk.
 *
 * Reads are synchronous (memory-mapped) and verify the record checksum every time: a record that fails
 * is reported (RECORD_CORRUPT, observer.corrupt) and never returned as data.
 */
export class LmdbRecordStore implements RecordStore {
  readonly engine = 'lmdb' as const;
  readonly partitions: number;
  readonly path: string;
  /**
   * Resolves once the aggregates are whole: at once from a clean close's checkpoint, else when the
   * background recount ends (reads and writes are served meanwhile; digests are not). Never rejects.
   */
  readonly recovery: Promise<AggregatesRecovery>;
  private readonly env: RootDatabase;
  /** [partition][bucket][key] -> record bytes with their bookkeeping header (record-layout.ts). */
  private readonly records: BinaryDb;
  /** [partition] -> that partition's bucket aggregates, as of the last clean close (aggregates.ts). */
  private readonly checkpoint: BinaryDb;
  private readonly meta: BinaryDb;
  private readonly aggregates = new PartitionAggregates();
  private readonly observer: StoreObserver;
  private closing = false;
  /** Set by the close transaction that wrote the checkpoint: no write may follow it. */
  private checkpointed = false;
  /** A write failed after changing the in-memory aggregates: they are recounted at the next open. */
  private checkpointBlocked = false;
  private recountWalk: Promise<unknown> | undefined;
  private readonly recountChunk: number;

  constructor(options: RecordStoreOptions) {
    this.path = options.path;
    this.partitions = options.partitions ?? DEFAULT_PARTITIONS;
    this.observer = options.observer ?? {};
    this.recountChunk = options.recountChunk ?? RECOUNT_CHUNK;
    if (existsSync(join(this.path, LOG_DIR))) {
      throw new RedoubtError(
        'CONFIG_INVALID',
        `${this.path} holds a log-engine store; this node runs the LMDB engine (STORE_ENGINE)`,
      );
    }
    mkdirSync(this.path, { recursive: true });
    this.env = openEnvironment(this.path);
    try {
      const binary = { keyEncoding: 'binary', encoding: 'binary' } as const;
      this.records = this.env.openDB<Buffer, Buffer>('records', binary);
      this.checkpoint = this.env.openDB<Buffer, Buffer>('aggregates', binary);
      this.meta = this.env.openDB<Buffer, Buffer>('meta', binary);
      this.checkFormat(this.meta);
      this.recovery = this.loadAggregates();
    } catch (error) {
      void this.env.close();
      throw error;
    }
  }

  isOpen(): boolean {
    return !this.closing;
  }

  /** The record for `key` (tombstones included), null when absent; RECORD_CORRUPT when it fails its checksum. */
  get(partition: number, key: string): StoredRecord | null {
    this.assertOpen();
    assertPartition(partition, this.partitions);
    const bucket = bucketInPartition(key, partition, this.partitions);
    const bytes = this.records.getBinary(recordKey(partition, bucket, key));
    if (bytes === undefined) return null;
    const record = decodeStoredRecord(key, bytes);
    if (record === undefined || !isIntact(record)) throw this.corrupt(partition, key, record?.version);
    return record;
  }

  async put(partition: number, record: StoredRecord): Promise<PutResult> {
    const [result] = await this.putMany([{ partition, record }]);
    if (result instanceof RedoubtError) throw result;
    return result!;
  }

  /**
   * Applies many puts in one durable transaction. Each item gets its own result: `applied`, `stale`
   * (this or a newer version is already stored) or the error that concerns that item alone
   * (INVALID_ARGUMENT, WRONG_PARTITION, RECORD_CORRUPT for a damaged incoming record...). Rejects as a
   * whole only when the store itself fails (STORE_UNAVAILABLE, I/O errors): then nothing of it is durable.
   */
  async putMany(items: readonly PutItem[]): Promise<PutManyResult[]> {
    this.assertOpen();
    const results: PutManyResult[] = new Array(items.length);
    const prepared: (PreparedPut | undefined)[] = new Array(items.length);
    let pending = 0;
    for (let i = 0; i < items.length; i++) {
      try {
        prepared[i] = this.prepare(items[i]!);
        pending++;
      } catch (error) {
        results[i] = toRedoubtError(error);
      }
    }
    if (pending === 0) return results;
    const started = performance.now();
    let applied: number;
    try {
      applied = await this.env.childTransaction(() => this.applyInTransaction(prepared, results));
    } catch (error) {
      throw this.failedWrite(error);
    }
    this.observer.committed?.((performance.now() - started) / 1000, applied);
    return results;
  }

  /** The digest of a partition from the maintained aggregates (no scan of records). */
  digest(partition: number): StoreDigest {
    this.assertOpen();
    this.assertCounted();
    return this.aggregates.digestOf(assertPartition(partition, this.partitions));
  }

  /**
   * The digest of a partition recomputed from its records by a full scan: what `digest` must always
   * equal. For tests and for verifying a store; RECORD_CORRUPT if a record cannot be read.
   */
  recomputeDigest(partition: number): StoreDigest {
    this.assertOpen();
    assertPartition(partition, this.partitions);
    const digests = Buffer.alloc(BUCKETS * DIGEST_BYTES);
    let records = 0;
    let bytes = 0;
    for (const { key, value } of this.records.getRange({
      start: partitionKey(partition),
      end: partitionEnd(partition),
    })) {
      const userKey = userKeyOf(key);
      const record = decodeStoredRecord(userKey, value);
      if (record === undefined || !isIntact(record)) throw this.corrupt(partition, userKey, record?.version);
      const bucketAt = bucketOfRecordKey(key) * DIGEST_BYTES;
      const digest = recordDigest(userKey, record.version, record.tombstone);
      xorInto(digests, digest, bucketAt);
      records += 1;
      bytes += key.length - RECORD_PREFIX_BYTES + value.length;
    }
    return digestOf(partition, digests, records, bytes);
  }

  /** Every partition that holds at least one record (tombstones count), ascending. */
  listPartitions(): StorePartitionSummary[] {
    this.assertOpen();
    this.assertCounted();
    return this.aggregates.list();
  }

  /** True while the aggregates are recounted in the background: digests and partition lists wait. */
  isRecounting(): boolean {
    return this.recounting;
  }

  /** Partitions holding records, and records and bytes over all of them (from the aggregates). */
  totalsAll(): { partitions: number; records: number; bytes: number } {
    this.assertOpen();
    this.assertCounted();
    return this.aggregates.totals();
  }

  /**
   * The records of a partition (or of some of its buckets, or only those newer than `since`), in bucket
   * then key order. Reads a page of entries per short read transaction and yields them one by one, so a
   * slow consumer holds neither memory beyond one page nor an old LMDB snapshot. Corrupt records are named
   * (`corruptKey`), never yielded as records.
   */
  async *scan(partition: number, options: ScanOptions = {}): AsyncGenerator<ScanItem> {
    this.assertOpen();
    assertPartition(partition, this.partitions);
    const pageSize = options.pageSize ?? DEFAULT_PAGE;
    const ranges: [Buffer, Buffer][] = [];
    if (options.buckets === undefined) {
      ranges.push([partitionKey(partition), partitionEnd(partition)]);
    } else {
      for (const bucket of assertBuckets(options.buckets)) {
        ranges.push([bucketKey(partition, bucket), bucketEnd(partition, bucket)]);
      }
    }
    for (const [start, end] of ranges) {
      let from = start;
      let exclusiveStart = false;
      for (;;) {
        this.assertOpen();
        const page = this.readPage(partition, from, end, exclusiveStart, pageSize, options.since);
        for (const item of page.items) yield item;
        if (page.lastKey === undefined || page.entries < pageSize) break;
        from = page.lastKey;
        exclusiveStart = true;
      }
    }
  }

  /** Removes every record of a partition, in bounded transactions; returns how many were removed. */
  async dropPartition(partition: number): Promise<number> {
    this.assertOpen();
    assertPartition(partition, this.partitions);
    await this.recovery; // the chunk bound below comes from the partition's count
    const start = partitionKey(partition);
    const end = partitionEnd(partition);
    let removed = 0;
    // Bounded: one chunk per DROP_CHUNK records present at the start, plus slack for writes racing in.
    const maxChunks = Math.ceil((this.aggregates.get(partition)?.totalRecords ?? 0) / DROP_CHUNK) + 100;
    for (let chunk = 0; chunk < maxChunks; chunk++) {
      let count: number;
      try {
        count = await this.env.childTransaction(() => this.dropChunk(partition, start, end));
      } catch (error) {
        throw this.failedWrite(error);
      }
      removed += count;
      if (count === 0) break;
    }
    return removed;
  }

  /** Re-reads and verifies every record (of one partition, or of the node); returns the corrupt ones. */
  async scrub(options: { partition?: number } = {}): Promise<ScrubResult> {
    this.assertOpen();
    const start =
      options.partition === undefined
        ? undefined
        : partitionKey(assertPartition(options.partition, this.partitions));
    const end = options.partition === undefined ? undefined : partitionEnd(options.partition);
    const result: ScrubResult = { checked: 0, corrupt: [] };
    let from = start;
    let exclusiveStart = false;
    for (;;) {
      this.assertOpen();
      let entries = 0;
      let lastKey: Buffer | undefined;
      for (const { key, value } of this.records.getRange({ start: from, end, exclusiveStart, limit: 1024 })) {
        entries++;
        lastKey = key;
        result.checked++;
        const userKey = userKeyOf(key);
        const record = decodeStoredRecord(userKey, value);
        if (record === undefined || !isIntact(record)) {
          const partition = partitionOfRecordKey(key);
          this.observer.corrupt?.(partition, userKey);
          result.corrupt.push({ partition, key: userKey });
        }
      }
      if (lastKey === undefined || entries < 1024) break;
      from = lastKey;
      exclusiveStart = true;
      await yieldToEventLoop(); // a node-wide scrub must not starve requests
    }
    return result;
  }

  /** LMDB environment statistics (map size, pages) for metrics. */
  stats(): Record<string, unknown> {
    return this.env.getStats() as Record<string, unknown>;
  }

  /**
   * Waits for queued writes, writes the aggregates out with the clean marker (one transaction queued
   * after every write already queued), then closes the environment. Idempotent.
   */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await this.recountWalk; // stops at its next record and releases its read snapshot
    try {
      // Aggregates still being recounted are not whole: no checkpoint, so the next open recounts.
      if (!this.checkpointBlocked && !this.recounting) {
        await this.env.transaction(() => this.writeCheckpoint());
      }
    } catch {
      // No marker, so the next open rebuilds the aggregates from the records: slower, never wrong.
    }
    await this.env.close();
  }

  /** FOR TESTS: damages the stored bytes of one record in place (corrupt-for-test.ts). */
  damageForTest(partition: number, key: string, part: 'value' | 'header'): void {
    const lmdbKey = recordKey(partition, bucketInPartition(key, partition, this.partitions), key);
    damageLmdbRecord(this.records, lmdbKey, key, part);
  }

  private prepare(item: PutItem): PreparedPut {
    const { partition, record } = item;
    const bucket = validateIncoming(partition, record, this.partitions);
    const lmdbKey = recordKey(partition, bucket, record.key);
    const digest = recordDigest(record.key, record.version, record.tombstone);
    const encoded = encodeStoredRecord(record, lmdbKey.length - RECORD_PREFIX_BYTES, digest);
    return {
      partition,
      bucket,
      lmdbKey,
      record,
      encoded,
      digest,
      bytes: lmdbKey.length - RECORD_PREFIX_BYTES + encoded.length,
    };
  }

  /**
   * Runs inside the LMDB write transaction (synchronous, so nothing else runs between the read of the
   * current version and the writes). Never throws for one item's sake; returns the count applied.
   */
  private applyInTransaction(
    prepared: readonly (PreparedPut | undefined)[],
    results: PutManyResult[],
  ): number {
    this.assertNotCheckpointed();
    const aggregates = new AggregateChanges();
    let applied = 0;
    for (let i = 0; i < prepared.length; i++) {
      const put = prepared[i];
      if (put === undefined) continue;
      // getBinaryFast: a volatile buffer, fully used before the next read.
      const stored = this.records.getBinaryFast(put.lmdbKey);
      const current = stored === undefined ? undefined : decodeHeader(stored);
      const headerDamaged = stored !== undefined && current === undefined;
      if (current !== undefined && put.record.version <= current.version) {
        // Not newer. Stale, unless what is stored is damaged: then any intact copy heals it.
        if (storedRecordIntact(put.record.key, stored!, current)) {
          results[i] = { status: 'stale', current: current.version };
          continue;
        }
        this.observer.corrupt?.(put.partition, put.record.key);
      } else if (headerDamaged) {
        this.observer.corrupt?.(put.partition, put.record.key);
      }
      this.records.put(put.lmdbKey, put.encoded);
      // While recounting, a damaged record counted for nothing in the walk too: only the new one is added.
      if (headerDamaged && !this.recounting) {
        // What the damaged record contributed is unknown: recount its bucket from the records instead.
        aggregates.rebuild(put.partition, put.bucket);
      } else {
        // In before out: a partition whose only record is replaced never empties (its aggregate is kept).
        aggregates.add(put.partition, put.bucket, put.digest, put.bytes);
        if (current !== undefined)
          aggregates.remove(put.partition, put.bucket, current.digest, current.bytes);
      }
      results[i] = { status: 'applied', current: put.record.version };
      applied++;
    }
    aggregates.applyTo(this.aggregates, (p, b) => this.countBucket(p, b));
    return applied;
  }

  private dropChunk(partition: number, start: Buffer, end: Buffer): number {
    this.assertNotCheckpointed();
    const keys = [...this.records.getKeys({ start, end, limit: DROP_CHUNK })];
    const aggregates = new AggregateChanges();
    for (const key of keys) {
      const stored = this.records.getBinaryFast(key);
      const header = stored === undefined ? undefined : decodeHeader(stored);
      const bucket = bucketOfRecordKey(key);
      this.records.remove(key);
      if (header !== undefined) aggregates.remove(partition, bucket, header.digest, header.bytes);
      else if (!this.recounting) aggregates.rebuild(partition, bucket);
    }
    aggregates.applyTo(this.aggregates, (p, b) => this.countBucket(p, b));
    // Nothing left: whatever the aggregates still say of the partition can only be stale (not so for
    // deltas during a recount, which the walk's counts of the partition cancel out).
    if (keys.length === 0 && !this.recounting) this.aggregates.forget(partition);
    return keys.length;
  }

  /**
   * The aggregates at open: from the checkpoint of the last clean close when its marker is there, else
   * recounted from every record in the background (after a crash, or a store written by an older
   * version). The marker is removed durably before the store takes any write, so a crash later never
   * leaves a stale checkpoint that looks trustworthy.
   */
  private loadAggregates(): Promise<AggregatesRecovery> {
    const started = performance.now();
    if (this.meta.getBinary(AGGREGATES_CLEAN_KEY) !== undefined) {
      let whole = true;
      for (const { key, value } of this.checkpoint.getRange({})) {
        if (key.length !== PARTITION_PREFIX_BYTES || !this.aggregates.load(key.readUInt32BE(0), value)) {
          whole = false;
          break;
        }
      }
      this.meta.removeSync(AGGREGATES_CLEAN_KEY);
      if (whole) {
        const records = this.totalsAll().records;
        return Promise.resolve({
          source: 'checkpoint',
          records,
          ms: Math.round(performance.now() - started),
        });
      }
    }
    return this.recountInBackground(started);
  }

  /**
   * Counts the records as they are at open (one read snapshot, taken before any write) a chunk at a time,
   * while the store serves: each write meanwhile adds its delta to `aggregates` as usual, and since
   * digests combine by XOR and counts by sum, the walk's counts added to those deltas are the whole
   * aggregates, in whatever order the two happened.
   */
  private recountInBackground(started: number): Promise<AggregatesRecovery> {
    this.aggregates.clear();
    if (this.records.getKeysCount({ limit: 1 }) === 0) {
      // No records (a new store): nothing to count, the empty aggregates are whole.
      return Promise.resolve({ source: 'rebuilt', records: 0, ms: Math.round(performance.now() - started) });
    }
    this.aggregates.holdsDeltas = true;
    const counted = new PartitionAggregates();
    const snapshot = this.env.useReadTransaction();
    const walk = countRecordsInBackground(this.records, counted, {
      snapshot,
      chunk: this.recountChunk,
      stop: () => this.closing || !this.recounting,
    }).finally(() => snapshot.done());
    this.recountWalk = walk.catch(() => undefined);
    const done = (interrupted: boolean): AggregatesRecovery => ({
      source: 'rebuilt',
      records: interrupted ? 0 : this.aggregates.totals().records,
      ms: Math.round(performance.now() - started),
      ...(interrupted ? { interrupted: true as const } : {}),
    });
    return walk.then(
      (finished) => {
        if (finished) this.aggregates.mergeFrom(counted); // whole: it holds deltas no more
        // Not finished: closed first, or a failed write recounted everything at once (failedWrite).
        return done(this.recounting);
      },
      () => {
        // The walk could not read the store: recount at once instead (as after a failed write).
        if (this.closing) return done(true);
        this.rebuildAggregates();
        return done(false);
      },
    );
  }

  /** Every record's header read once, synchronously; ends a background recount. */
  private rebuildAggregates(): void {
    this.aggregates.clear();
    countRecordsNow(this.records, this.aggregates);
  }

  /** Runs as the last transaction before close: the aggregates and the marker that says they are whole. */
  private writeCheckpoint(): void {
    for (const key of [...this.checkpoint.getKeys({})]) this.checkpoint.remove(key);
    for (const [partition, entry] of this.aggregates.partitions()) {
      this.checkpoint.put(partitionKey(partition), PartitionAggregates.encode(entry));
    }
    this.meta.put(AGGREGATES_CLEAN_KEY, Buffer.from([1]));
    this.checkpointed = true;
  }

  /**
   * Recounting in the background (after an unclean shutdown): the aggregates then hold the deltas of the
   * writes since open, which the walk's counts of the records at open complete.
   */
  private get recounting(): boolean {
    return this.aggregates.holdsDeltas;
  }

  private assertCounted(): void {
    if (this.recounting) {
      throw new RedoubtError(
        'STORE_UNAVAILABLE',
        'the digests of this node are being recounted after an unclean shutdown; retry shortly',
        { recounting: true },
      );
    }
  }

  private assertNotCheckpointed(): void {
    if (this.checkpointed) throw new RedoubtError('STORE_UNAVAILABLE', 'the record store is closed');
  }

  /** A bucket's aggregate from its records' headers (records whose header is damaged count for nothing). */
  private countBucket(partition: number, bucket: number): BucketAggregate {
    const aggregate = emptyBucket();
    const range = { start: bucketKey(partition, bucket), end: bucketEnd(partition, bucket) };
    for (const key of [...this.records.getKeys(range)]) {
      const stored = this.records.getBinaryFast(key);
      const header = stored === undefined ? undefined : decodeHeader(stored);
      if (header === undefined) continue;
      xorInto(aggregate.digest, header.digest);
      aggregate.records += 1;
      aggregate.bytes += header.bytes;
    }
    return aggregate;
  }

  private readPage(
    partition: number,
    from: Buffer,
    end: Buffer,
    exclusiveStart: boolean,
    pageSize: number,
    since: Version | undefined,
  ): { items: ScanItem[]; entries: number; lastKey: Buffer | undefined } {
    const items: ScanItem[] = [];
    let entries = 0;
    let lastKey: Buffer | undefined;
    const range = { start: from, end, exclusiveStart, limit: pageSize };
    if (since === undefined) {
      for (const { key, value } of this.records.getRange(range)) {
        entries++;
        lastKey = key;
        items.push(this.scanItem(partition, key, value));
      }
    } else {
      // Filter on the headers (read in place); copy out only the records that are newer.
      for (const key of [...this.records.getKeys(range)]) {
        entries++;
        lastKey = key;
        const stored = this.records.getBinaryFast(key);
        if (stored === undefined) continue; // removed meanwhile
        const header = decodeHeader(stored);
        if (header !== undefined && header.version <= since) continue;
        const bytes = header === undefined ? undefined : this.records.getBinary(key);
        items.push(
          bytes === undefined
            ? this.scanCorrupt(partition, userKeyOf(key))
            : this.scanItem(partition, key, bytes),
        );
      }
    }
    return { items, entries, lastKey };
  }

  private scanItem(partition: number, lmdbKey: Buffer, bytes: Buffer): ScanItem {
    const key = userKeyOf(lmdbKey);
    const record = decodeStoredRecord(key, bytes); // range values and getBinary are fresh copies
    if (record === undefined || !isIntact(record)) return this.scanCorrupt(partition, key);
    return { record };
  }

  private scanCorrupt(partition: number, key: string): ScanItem {
    this.observer.corrupt?.(partition, key);
    return { corruptKey: key };
  }

  private corrupt(partition: number, key: string, version: string | undefined): RedoubtError {
    this.observer.corrupt?.(partition, key);
    return storedRecordCorrupt(partition, key, version);
  }

  private assertOpen(): void {
    if (this.closing) throw new RedoubtError('STORE_UNAVAILABLE', 'the record store is closed');
  }

  /**
   * A write transaction failed after its callback may have changed the in-memory aggregates: recount
   * them from what is committed, and never checkpoint them at close (the next open recounts again).
   */
  private failedWrite(error: unknown): RedoubtError {
    if (!this.closing && !(error instanceof RedoubtError)) {
      this.checkpointBlocked = true;
      try {
        this.rebuildAggregates();
      } catch {
        // The store is failing as a whole; the write's error below says so.
      }
    }
    return this.storeError(error);
  }

  private storeError(error: unknown): RedoubtError {
    if (error instanceof RedoubtError) return error;
    if (this.closing)
      return new RedoubtError(
        'STORE_UNAVAILABLE',
        'the record store closed during the write',
        {},
        { cause: error },
      );
    return new RedoubtError(
      'STORE_UNAVAILABLE',
      `the write transaction failed: ${(error as Error)?.message}`,
      {},
      { cause: error },
    );
  }

  /** Refuses a data directory made for another partition count: its keys would sit in the wrong partitions. */
  private checkFormat(meta: BinaryDb): void {
    const stored = meta.getBinary(FORMAT_KEY);
    if (stored === undefined) {
      const format = Buffer.alloc(8);
      format.writeUInt32BE(FORMAT_VERSION, 0);
      format.writeUInt32BE(this.partitions >>> 0, 4);
      meta.putSync(FORMAT_KEY, format);
      return;
    }
    const version = stored.readUInt32BE(0);
    const partitions = stored.readUInt32BE(4) || 2 ** 32;
    if (version !== FORMAT_VERSION || partitions !== this.partitions) {
      throw new RedoubtError(
        'CONFIG_INVALID',
        `the store in ${this.path} has format ${version} with ${partitions} partitions; this node runs format ${FORMAT_VERSION} with ${this.partitions}`,
        { partitions, expected: this.partitions },
      );
    }
  }
}

/**
 * The environment: one directory, durable commits. `overlappingSync: false` so that a commit's promise
 * resolves only after LMDB's fsync of that commit (lmdb-js enables overlapping sync by default on Linux,
 * where the promise resolves at commit and flushing happens later). Never noSync / noMetaSync.
 */
export function openEnvironment(path: string): RootDatabase {
  return open({
    path,
    noSubdir: false, // `path` is always a directory, even when its name has a dot (lmdb-js guesses otherwise)
    maxDbs: 8,
    overlappingSync: false,
    noSync: false,
    noMetaSync: false,
    useWritemap: false,
    compression: false,
    encoding: 'binary',
    keyEncoding: 'binary',
  });
}

/** Replaces a record's stored bytes with a damaged copy (for tests; see corrupt-for-test.ts). */
export function damageLmdbRecord(
  records: { getBinary(key: Buffer): Buffer | undefined; putSync(key: Buffer, value: Buffer): void },
  lmdbKey: Buffer,
  key: string,
  part: 'value' | 'header',
): void {
  const bytes = records.getBinary(lmdbKey);
  if (bytes === undefined) {
    throw new RedoubtError('RECORD_NOT_FOUND', `no stored record for key ${JSON.stringify(key)}`);
  }
  records.putSync(lmdbKey, damageStoredRecord(bytes, part));
}
