import { join } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { RedoubtError, toRedoubtError } from '@redoubt/errors';
import { isIntact, type StoredRecord } from '@redoubt/records';
import { PartitionAggregates } from './aggregates.js';
import { nodeFileSystem, type LogFileSystem } from './log-file-system.js';
import { FRAME_HEADER_BYTES, encodeFrame, forEachFrame, type FrameHead } from './log-frame.js';
import {
  LOG_DIR,
  type Segment,
  checkFormat,
  createDirectoryDurably,
  createSegment,
  fsyncDirectory,
  listSegments,
  openSegment,
  readDrops,
  writeDrops,
} from './log-files.js';
import { DIGEST_BYTES, digestOf, recordDigest, xorInto } from './record-digest.js';
import { damageStoredRecord, decodeHeader, decodeStoredRecord, storedRecordIntact } from './record-layout.js';
import {
  assertBuckets,
  assertPartition,
  bucketInPartition,
  storedRecordCorrupt,
  validateIncoming,
} from './record-validation.js';
import { BUCKETS } from './storage-keys.js';
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

export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
/** Frames relocated per group by compaction: it shares the write path, so it goes in modest steps. */
const COMPACTION_STEP = 256;
const SCRUB_CHUNK = 1_024;

/** Where the durable version of a key lives, and what it counts for in the aggregates. */
class KeyEntry {
  constructor(
    readonly partition: number,
    readonly key: string,
    readonly bucket: number,
    readonly segment: Segment,
    /** Of the frame in its segment. */
    readonly offset: number,
    readonly length: number,
    /** Where the stored record starts, from the frame's start. */
    readonly storedAt: number,
    readonly seq: number,
    readonly version: string,
    readonly tombstone: boolean,
    /** False when the stored header was unreadable at replay: it counts for nothing in the aggregates. */
    readonly counted: boolean,
    /** The record's digest (record-digest.ts) as two 32-bit halves: no Buffer per key in memory. */
    readonly digestHigh: number,
    readonly digestLow: number,
  ) {}

  /** Key bytes + stored bytes: what the record counts for in the totals. */
  get bytes(): number {
    return this.length - FRAME_HEADER_BYTES;
  }

  /** The digest in a scratch buffer shared by every entry: use it before the next call. */
  digest(): Buffer {
    DIGEST_SCRATCH.writeUInt32BE(this.digestHigh, 0);
    DIGEST_SCRATCH.writeUInt32BE(this.digestLow, 4);
    return DIGEST_SCRATCH;
  }
}

const DIGEST_SCRATCH = Buffer.alloc(DIGEST_BYTES);

/** A frame on its way to the log: a new write, or a live frame compaction relocates. */
class QueuedFrame {
  constructor(
    readonly partition: number,
    readonly key: string,
    readonly bucket: number,
    readonly frame: Buffer,
    readonly seq: number,
    readonly version: string,
    readonly tombstone: boolean,
    readonly digest: Buffer,
    readonly group: WriteGroup,
    /** For a relocation: the entry it moves (published only if that entry is still current). */
    readonly moves?: KeyEntry,
  ) {}
}

/** Frames that become durable together: one write and one fdatasync (group commit). */
class WriteGroup {
  readonly frames: QueuedFrame[] = [];
  bytes = 0;
  readonly done: Promise<void>;
  resolve!: () => void;
  reject!: (error: RedoubtError) => void;
  constructor() {
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.done.catch(() => undefined); // rejections are delivered to each waiter
  }
  add(frame: QueuedFrame): void {
    this.frames.push(frame);
    this.bytes += frame.frame.length;
  }
}

/**
 * The log-structured record store (`STORE_ENGINE=log`; see the storage README and
 * docs/decisions/0006): every accepted put is a frame appended to the active segment, and a group of
 * frames is acknowledged after one write and one `fdatasync` of it. An in-memory key directory maps
 * each key to its newest frame (Bitcask's design: the records live on disk, the index of where in
 * memory). Opening replays the segments: the frame with the higher sequence number wins, since the
 * node wrote a frame only after its last-writer-wins decision (or to heal a damaged record).
 * Compaction copies the live frames of mostly dead segments through the same write path, then
 * deletes those segments.
 *
 * The same contract as the LMDB engine: acknowledged after durable, last writer wins, every read
 * verifies the checksum, digests and counts maintained per partition and bucket.
 */
export class LogRecordStore implements RecordStore {
  readonly engine = 'log' as const;
  readonly partitions: number;
  readonly path: string;
  readonly recovery: Promise<AggregatesRecovery>;
  private readonly dir: string;
  private readonly fs: LogFileSystem;
  private readonly segmentBytes: number;
  private readonly observer: StoreObserver;
  private readonly keydir = new Map<number, Map<string, KeyEntry>>();
  /** The newest accepted but not yet durable put per key: what later last-writer-wins decisions see. */
  private readonly pending = new Map<string, QueuedFrame>();
  private readonly aggregates = new PartitionAggregates();
  private readonly segments = new Map<number, Segment>();
  private readonly drops: Map<number, number>;
  /** partition -> the marker of a drop that is waiting for earlier writes to be durable. */
  private readonly dropping = new Map<number, number>();
  private active: Segment;
  private nextSeq = 1;
  private nextSegmentId: number;
  private group = new WriteGroup();
  private flushing: Promise<void> | undefined;
  private compacting: Promise<void> | undefined;
  /** Deleted segments whose descriptors scans may still read from. */
  private retired: Segment[] = [];
  private scans = 0;
  private failure: RedoubtError | undefined;
  private closing = false;

  constructor(options: RecordStoreOptions) {
    this.path = options.path;
    this.partitions = options.partitions!;
    this.observer = options.observer ?? {};
    this.segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.dir = join(this.path, LOG_DIR);
    this.fs = options.fileSystem ?? nodeFileSystem;
    const fs = this.fs;
    const started = performance.now();
    if (fs.existsSync(join(this.path, 'data.mdb'))) {
      throw new RedoubtError(
        'CONFIG_INVALID',
        `${this.path} holds an LMDB store; this node runs the log engine (STORE_ENGINE)`,
      );
    }
    createDirectoryDurably(fs, this.dir);
    const ids = listSegments(fs, this.dir);
    checkFormat(fs, this.dir, this.partitions, ids.length > 0);
    this.drops = readDrops(fs, this.dir);
    for (const seq of this.drops.values()) this.nextSeq = Math.max(this.nextSeq, seq);
    let torn = false;
    try {
      for (const [i, id] of ids.entries()) {
        torn = this.replay(this.addSegment(openSegment(fs, this.dir, id)), i === ids.length - 1);
      }
    } catch (error) {
      this.closeFiles();
      throw error;
    }
    const last = ids.length > 0 ? this.segments.get(ids[ids.length - 1]!) : undefined;
    this.nextSegmentId = (ids[ids.length - 1] ?? 0) + 1;
    // A torn tail is left as it is and never appended after: replay stops there again next time.
    if (last !== undefined && !torn) this.active = last;
    else this.active = this.addSegment(createSegment(fs, this.dir, this.nextSegmentId++));
    for (const segment of [...this.segments.values()]) {
      segment.sealed = segment !== this.active;
      if (segment.sealed && segment.written === 0) this.removeSegment(segment); // never written to
    }
    this.closeRetired();
    let records = 0;
    for (const [partition, entries] of this.keydir) {
      for (const entry of entries.values()) {
        records++;
        if (entry.counted) this.aggregates.apply(partition, entry.bucket, entry.digest(), entry.bytes, 1);
      }
    }
    this.recovery = Promise.resolve({
      source: 'rebuilt',
      records,
      ms: Math.round(performance.now() - started),
    });
  }

  isOpen(): boolean {
    return !this.closing && this.failure === undefined;
  }

  get(partition: number, key: string): StoredRecord | null {
    this.assertOpen();
    assertPartition(partition, this.partitions);
    bucketInPartition(key, partition, this.partitions);
    const entry = this.keydir.get(partition)?.get(key);
    if (entry === undefined) return null;
    const record = this.readRecord(entry);
    if (record === undefined) throw this.corrupt(partition, key, entry.version);
    return record;
  }

  async put(partition: number, record: StoredRecord): Promise<PutResult> {
    const [result] = await this.putMany([{ partition, record }]);
    if (result instanceof RedoubtError) throw result;
    return result!;
  }

  async putMany(items: readonly PutItem[]): Promise<PutManyResult[]> {
    this.assertWritable();
    const started = performance.now();
    const results: PutManyResult[] = new Array(items.length);
    const group = this.group;
    let appended = 0;
    // Every group this batch's answers depend on: a stale answer may defer to a frame of a group queued
    // behind the one being flushed, so waiting for one group (the last seen) could answer too early.
    const waitFor = new Set<Promise<void>>();
    for (let i = 0; i < items.length; i++) {
      const { partition, record } = items[i]!;
      let bucket: number;
      try {
        bucket = validateIncoming(partition, record, this.partitions);
      } catch (error) {
        results[i] = toRedoubtError(error);
        continue;
      }
      // While a drop of the partition runs, what was accepted before its marker is as good as gone: a
      // write after the marker is weighed against nothing older (else a stale answer would defer to a
      // record the drop then removes; the power-loss harness found that).
      const since = this.dropping.get(partition) ?? 0;
      let queued = this.pending.get(record.key);
      if (queued !== undefined && queued.seq < since) queued = undefined;
      if (queued !== undefined && record.version <= queued.version) {
        results[i] = { status: 'stale', current: queued.version };
        waitFor.add(queued.group.done); // stale against a write that is not durable yet: wait for it
        continue;
      }
      let durable = this.pending.has(record.key) ? undefined : this.keydir.get(partition)?.get(record.key);
      if (durable !== undefined && durable.seq < since) durable = undefined;
      if (durable !== undefined && record.version <= durable.version) {
        // Not newer. Stale, unless what is stored is damaged: then any intact copy heals it.
        if (this.intact(durable)) {
          results[i] = { status: 'stale', current: durable.version };
          continue;
        }
        this.observer.corrupt?.(partition, record.key);
      }
      const keyBytes = Buffer.byteLength(record.key, 'utf8');
      const digest = recordDigest(record.key, record.version, record.tombstone);
      const seq = this.nextSeq++;
      const encoded = encodeFrame(seq, partition, record, keyBytes, digest);
      const frame = new QueuedFrame(
        partition,
        record.key,
        bucket,
        encoded,
        seq,
        record.version,
        record.tombstone,
        digest,
        group,
      );
      group.add(frame);
      this.pending.set(record.key, frame);
      results[i] = { status: 'applied', current: record.version };
      appended++;
    }
    if (appended > 0) {
      waitFor.add(group.done);
      this.scheduleFlush();
    }
    if (waitFor.size > 0) await Promise.all(waitFor);
    if (appended > 0) this.observer.committed?.((performance.now() - started) / 1000, appended);
    return results;
  }

  digest(partition: number): StoreDigest {
    this.assertOpen();
    return this.aggregates.digestOf(assertPartition(partition, this.partitions));
  }

  recomputeDigest(partition: number): StoreDigest {
    this.assertOpen();
    assertPartition(partition, this.partitions);
    const digests = Buffer.alloc(BUCKETS * DIGEST_BYTES);
    let records = 0;
    let bytes = 0;
    for (const entry of this.keydir.get(partition)?.values() ?? []) {
      const record = this.readRecord(entry);
      if (record === undefined) throw this.corrupt(partition, entry.key, entry.version);
      xorInto(
        digests,
        recordDigest(entry.key, record.version, record.tombstone),
        entry.bucket * DIGEST_BYTES,
      );
      records += 1;
      bytes += entry.bytes;
    }
    return digestOf(partition, digests, records, bytes);
  }

  listPartitions(): StorePartitionSummary[] {
    this.assertOpen();
    return this.aggregates.list();
  }

  /** The log's aggregates are whole as soon as the store is open (replay counts them). */
  isRecounting(): boolean {
    return false;
  }

  totalsAll(): { partitions: number; records: number; bytes: number } {
    this.assertOpen();
    return this.aggregates.totals();
  }

  /**
   * The records of a partition (or some of its buckets, or those newer than `since`) in bucket then key
   * order, as of the moment each is read. The list of keys to visit is taken at the start (one small
   * object per record of the partition); values are read one at a time.
   */
  async *scan(partition: number, options: ScanOptions = {}): AsyncGenerator<ScanItem> {
    this.assertOpen();
    assertPartition(partition, this.partitions);
    const pageSize = options.pageSize ?? 256;
    const wanted = options.buckets === undefined ? undefined : new Set(assertBuckets(options.buckets));
    const entries = this.keydir.get(partition);
    if (entries === undefined) return;
    const keys: KeyEntry[] = [];
    for (const entry of entries.values()) if (!wanted || wanted.has(entry.bucket)) keys.push(entry);
    keys.sort((a, b) => a.bucket - b.bucket || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    this.scans++;
    try {
      for (let i = 0; i < keys.length; i++) {
        this.assertOpen();
        const entry = entries.get(keys[i]!.key);
        if (entry === undefined) continue; // removed meanwhile
        if (options.since !== undefined && entry.counted && entry.version <= options.since) continue;
        const record = this.readRecord(entry);
        if (record === undefined) {
          this.observer.corrupt?.(partition, entry.key);
          yield { corruptKey: entry.key };
        } else {
          yield { record };
        }
        if (i % pageSize === pageSize - 1) await yieldToEventLoop();
      }
    } finally {
      this.scans--;
      this.closeRetired();
    }
  }

  /**
   * Removes every record of a partition: a durable drop marker (frames of the partition written before
   * it are ignored from then on, at every replay), then the key directory's entries. Writes racing in
   * after the marker stay.
   */
  async dropPartition(partition: number): Promise<number> {
    this.assertWritable();
    assertPartition(partition, this.partitions);
    const marker = this.nextSeq++;
    this.dropping.set(partition, Math.max(this.dropping.get(partition) ?? 0, marker));
    try {
      await this.drain(); // every frame below the marker is durable and in the key directory
    } finally {
      if (this.dropping.get(partition) === marker) this.dropping.delete(partition);
    }
    this.assertWritable();
    const drops = new Map(this.drops).set(partition, marker);
    try {
      writeDrops(this.fs, this.dir, drops);
    } catch (error) {
      // The marker may or may not be on disk (a failed fsync cannot say): stop taking writes, so that
      // nothing is acknowledged on top of a state the next replay may not reproduce.
      throw this.failStop('the drop marker', error);
    }
    this.drops.set(partition, marker);
    const entries = this.keydir.get(partition);
    if (entries === undefined) return 0;
    let removed = 0;
    for (const [key, entry] of entries) {
      if (entry.seq >= marker) continue;
      entries.delete(key);
      entry.segment.live -= entry.length;
      if (entry.counted) this.aggregates.apply(partition, entry.bucket, entry.digest(), entry.bytes, -1);
      removed++;
    }
    if (entries.size === 0) {
      this.keydir.delete(partition);
      this.aggregates.forget(partition);
    }
    this.maybeCompact();
    return removed;
  }

  async scrub(options: { partition?: number } = {}): Promise<ScrubResult> {
    this.assertOpen();
    const partitions =
      options.partition === undefined
        ? [...this.keydir.keys()].sort((a, b) => a - b)
        : [assertPartition(options.partition, this.partitions)];
    const result: ScrubResult = { checked: 0, corrupt: [] };
    for (const partition of partitions) {
      const entries = [...(this.keydir.get(partition)?.values() ?? [])];
      for (let i = 0; i < entries.length; i++) {
        this.assertOpen();
        const entry = entries[i]!;
        if (this.keydir.get(partition)?.get(entry.key) !== entry) continue; // replaced meanwhile
        result.checked++;
        if (this.readRecord(entry) === undefined) {
          this.observer.corrupt?.(partition, entry.key);
          result.corrupt.push({ partition, key: entry.key });
        }
        if (i % SCRUB_CHUNK === SCRUB_CHUNK - 1) await yieldToEventLoop();
      }
    }
    return result;
  }

  stats(): Record<string, unknown> {
    let written = 0;
    let live = 0;
    for (const segment of this.segments.values()) {
      written += segment.written;
      live += segment.live;
    }
    return { engine: 'log', segments: this.segments.size, bytesWritten: written, liveBytes: live };
  }

  /** Waits for queued writes and a running compaction step, then closes every file. Idempotent. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await this.drain().catch(() => undefined);
    await this.compacting;
    // A clean close leaves an empty last segment: the next replay then knows the last record was
    // finished (see replay); only a crash leaves records in the last segment.
    if (this.failure === undefined && this.active.written > 0) {
      try {
        this.addSegment(createSegment(this.fs, this.dir, this.nextSegmentId++));
      } catch {
        // the disk refused: the next open checks the last record, as after a crash
      }
    }
    this.closeFiles();
  }

  /** FOR TESTS: damages the stored bytes of one record in place (corrupt-for-test.ts). */
  damageForTest(partition: number, key: string, part: 'value' | 'header'): void {
    const entry = this.keydir.get(partition)?.get(key);
    if (entry === undefined) {
      throw new RedoubtError('RECORD_NOT_FOUND', `no stored record for key ${JSON.stringify(key)}`);
    }
    const damaged = damageStoredRecord(this.readStored(entry), part);
    this.fs.writeSync(entry.segment.fd, damaged, 0, damaged.length, entry.offset + entry.storedAt);
    this.fs.fdatasyncSync(entry.segment.fd);
  }

  /**
   * Replays one segment into the key directory; true when it ends in a torn frame. In the last segment
   * (the one being written when the node stopped) a last frame whose record fails its checks is a write
   * the crash cut short, never acknowledged: it is skipped, and its length zeroed on disk so that later
   * replays, when this is no longer the last segment, stop there too. (A clean close starts an empty
   * segment, so rot in a closed node's last record is still found as rot, not taken for a torn write.)
   */
  private replay(segment: Segment, last: boolean): boolean {
    const buf = this.fs.readFileSync(segment.path);
    const lastIntact = last
      ? (head: FrameHead, at: number) =>
          storedBytesIntact(head.key, buf.subarray(at + head.storedAt, at + head.length))
      : undefined;
    const { end, torn, unfinished } = forEachFrame(
      buf,
      this.partitions,
      (head, at) => {
        this.nextSeq = Math.max(this.nextSeq, head.seq + 1);
        if (head.seq < (this.drops.get(head.partition) ?? 0)) return;
        const stored = buf.subarray(at + head.storedAt, at + head.length);
        const header = decodeHeader(stored);
        const digest = header?.digest;
        const entry = new KeyEntry(
          head.partition,
          head.key,
          bucketOf(head.key, head.partition, this.partitions),
          segment,
          at,
          head.length,
          head.storedAt,
          head.seq,
          header?.version ?? '',
          header?.tombstone ?? false,
          header !== undefined,
          digest?.readUInt32BE(0) ?? 0,
          digest?.readUInt32BE(4) ?? 0,
        );
        const entries = this.entriesOf(head.partition);
        const current = entries.get(head.key);
        if (current === undefined || replaces(entry, current, stored)) {
          if (current !== undefined) current.segment.live -= current.length;
          entries.set(head.key, entry);
          segment.live += head.length;
        }
      },
      lastIntact,
    );
    segment.written = end;
    if (unfinished) {
      this.fs.writeSync(segment.fd, Buffer.alloc(4), 0, 4, end);
      this.fs.fdatasyncSync(segment.fd);
    }
    return torn;
  }

  private scheduleFlush(): void {
    this.flushing ??= this.flushGroups().finally(() => {
      this.flushing = undefined;
      if (this.group.frames.length > 0) this.scheduleFlush();
      else this.maybeCompact();
    });
  }

  /** One group at a time: written, synced, published, acknowledged; the next gathers meanwhile. */
  private async flushGroups(): Promise<void> {
    while (this.group.frames.length > 0) {
      const group = this.group;
      this.group = new WriteGroup();
      if (this.failure !== undefined) {
        this.abandon(group);
        continue;
      }
      try {
        const segment = this.roomFor(group.bytes);
        const at = segment.written;
        const bytes =
          group.frames.length === 1
            ? group.frames[0]!.frame
            : Buffer.concat(
                group.frames.map((f) => f.frame),
                group.bytes,
              );
        // Into the page cache on this thread (microseconds for a group); only the flush goes to a pool thread.
        const bytesWritten = this.fs.writeSync(segment.fd, bytes, 0, bytes.length, at);
        if (bytesWritten !== bytes.length)
          throw new Error(`short write: ${bytesWritten} of ${bytes.length} bytes`);
        segment.written += bytes.length;
        await this.fs.fdatasync(segment.fd);
        this.publish(group, segment, at);
        group.resolve();
      } catch (error) {
        this.failStop('the log write', error);
        this.abandon(group);
      }
    }
  }

  private abandon(group: WriteGroup): void {
    for (const frame of group.frames)
      if (this.pending.get(frame.key) === frame) this.pending.delete(frame.key);
    group.reject(this.failure!);
  }

  /** The durable frames of a group enter the key directory and the aggregates, in the order accepted. */
  private publish(group: WriteGroup, segment: Segment, at: number): void {
    let offset = at;
    for (const frame of group.frames) {
      const frameAt = offset;
      offset += frame.frame.length;
      if (this.pending.get(frame.key) === frame) this.pending.delete(frame.key);
      const entries = this.entriesOf(frame.partition);
      const current = entries.get(frame.key);
      if (frame.moves !== undefined && current !== frame.moves) continue; // superseded while relocated
      if (frame.seq < (this.drops.get(frame.partition) ?? 0)) continue; // dropped while in flight
      const entry = new KeyEntry(
        frame.partition,
        frame.key,
        frame.bucket,
        segment,
        frameAt,
        frame.frame.length,
        FRAME_HEADER_BYTES + frame.frame.readUInt16BE(20),
        frame.seq,
        frame.version,
        frame.tombstone,
        frame.moves?.counted ?? true,
        frame.digest.readUInt32BE(0),
        frame.digest.readUInt32BE(4),
      );
      entries.set(frame.key, entry);
      segment.live += entry.length;
      if (current !== undefined) current.segment.live -= current.length;
      if (frame.moves !== undefined) continue; // same record, new place: the aggregates do not change
      // In before out: a partition whose only record is replaced never empties (its aggregate is kept).
      this.aggregates.apply(frame.partition, frame.bucket, frame.digest, entry.bytes, 1);
      if (current?.counted)
        this.aggregates.apply(frame.partition, current.bucket, current.digest(), current.bytes, -1);
    }
  }

  /** The segment the next group goes to: a new one when the active one is full. */
  private roomFor(bytes: number): Segment {
    if (this.active.written === 0 || this.active.written + bytes <= this.segmentBytes) return this.active;
    this.active.sealed = true;
    this.active = this.addSegment(createSegment(this.fs, this.dir, this.nextSegmentId++));
    return this.active;
  }

  /**
   * Relocates the live frames of sealed segments that are mostly dead, then deletes those segments.
   * Runs when the sealed segments hold more dead bytes than a segment and than their live bytes.
   */
  private maybeCompact(): void {
    if (this.compacting !== undefined || this.closing || this.failure !== undefined) return;
    let dead = 0;
    let live = 0;
    for (const segment of this.segments.values()) {
      if (!segment.sealed) continue;
      dead += segment.written - segment.live;
      live += segment.live;
    }
    if (dead < this.segmentBytes || dead < live) return;
    this.compacting = this.compact()
      .catch((error: unknown) => {
        // A relocation that failed already stopped the store; a failed delete or directory sync leaves
        // the directory in a state only a replay can tell: stop taking writes as well.
        if (this.failure === undefined && !this.closing) this.failStop('compaction', error);
      })
      .finally(() => {
        this.compacting = undefined;
      });
  }

  private async compact(): Promise<void> {
    const victims = new Set<Segment>();
    for (const segment of this.segments.values()) {
      if (segment.sealed && segment.live * 2 <= segment.written) victims.add(segment);
    }
    if (victims.size === 0) return;
    const moving: KeyEntry[] = [];
    for (const entries of this.keydir.values()) {
      for (const entry of entries.values()) if (victims.has(entry.segment)) moving.push(entry);
    }
    for (let i = 0; i < moving.length; i += COMPACTION_STEP) {
      if (this.closing || this.failure !== undefined) return;
      const group = this.group;
      let queued = 0;
      for (const entry of moving.slice(i, i + COMPACTION_STEP)) {
        if (this.keydir.get(entry.partition)?.get(entry.key) !== entry || this.pending.has(entry.key))
          continue;
        const frame = Buffer.allocUnsafe(entry.length);
        this.readExactly(entry.segment.fd, frame, entry.offset);
        group.add(
          new QueuedFrame(
            entry.partition,
            entry.key,
            entry.bucket,
            frame,
            entry.seq,
            entry.version,
            entry.tombstone,
            Buffer.from(entry.digest()),
            group,
            entry,
          ),
        );
        queued++;
      }
      if (queued === 0) continue;
      this.scheduleFlush();
      await group.done;
    }
    for (const segment of victims) {
      if (segment.live > 0) return; // written to meanwhile (cannot happen to a sealed one): keep all
    }
    for (const segment of victims) this.removeSegment(segment);
    this.closeRetired();
  }

  /** Deletes a segment durably; its descriptor stays open while a scan may read through it. */
  private removeSegment(segment: Segment): void {
    this.fs.unlinkSync(segment.path);
    fsyncDirectory(this.fs, this.dir);
    this.segments.delete(segment.id);
    this.retired.push(segment);
  }

  private closeRetired(): void {
    if (this.scans > 0) return;
    for (const segment of this.retired) this.fs.closeSync(segment.fd);
    this.retired = [];
  }

  /** Resolves once every frame queued so far is durable (or failed). */
  private async drain(): Promise<void> {
    while (this.flushing !== undefined || this.group.frames.length > 0) {
      if (this.flushing === undefined) this.scheduleFlush();
      await this.flushing;
    }
  }

  private intact(entry: KeyEntry): boolean {
    return storedBytesIntact(entry.key, this.readStored(entry));
  }

  /** The record an entry points at, or undefined when it fails its header CRC or its checksum. */
  private readRecord(entry: KeyEntry): StoredRecord | undefined {
    const record = decodeStoredRecord(entry.key, this.readStored(entry));
    return record !== undefined && isIntact(record) ? record : undefined;
  }

  private readStored(entry: KeyEntry): Buffer {
    const stored = Buffer.allocUnsafe(entry.length - entry.storedAt);
    this.readExactly(entry.segment.fd, stored, entry.offset + entry.storedAt);
    return stored;
  }

  private entriesOf(partition: number): Map<string, KeyEntry> {
    let entries = this.keydir.get(partition);
    if (entries === undefined) {
      entries = new Map();
      this.keydir.set(partition, entries);
    }
    return entries;
  }

  private addSegment(segment: Segment): Segment {
    this.segments.set(segment.id, segment);
    return segment;
  }

  private closeFiles(): void {
    for (const segment of this.segments.values()) this.fs.closeSync(segment.fd);
    this.segments.clear();
    for (const segment of this.retired) this.fs.closeSync(segment.fd);
    this.retired = [];
  }

  private readExactly(fd: number, into: Buffer, position: number): void {
    const read = this.fs.readSync(fd, into, 0, into.length, position);
    if (read !== into.length) {
      throw new RedoubtError('STORE_UNAVAILABLE', `short read from the log: ${read} of ${into.length} bytes`);
    }
  }

  /**
   * Fail stop: after a failed write or flush the page cache cannot say what reached the disk (a later
   * fsync may even succeed without the lost pages), so the store refuses every write from now on and
   * reports itself not open (the data node's /readyz answers 503) until a restart replays the files.
   */
  private failStop(what: string, error: unknown): RedoubtError {
    this.failure ??= new RedoubtError(
      'STORE_FAILED',
      `${what} failed: ${(error as Error)?.message}; the store takes no more writes until the node restarts`,
      { code: (error as NodeJS.ErrnoException)?.code ?? 'unknown' },
      { cause: error },
    );
    return this.failure;
  }

  private corrupt(partition: number, key: string, version: string): RedoubtError {
    this.observer.corrupt?.(partition, key);
    return storedRecordCorrupt(partition, key, version);
  }

  private assertOpen(): void {
    if (this.closing) throw new RedoubtError('STORE_UNAVAILABLE', 'the record store is closed');
  }

  private assertWritable(): void {
    this.assertOpen();
    if (this.failure !== undefined) throw this.failure;
  }
}

/**
 * Replay's rule: the frame accepted later (higher sequence number) is the key's state, since the node
 * appended a frame only after deciding it was newer or healed a damaged record. A relocated copy keeps
 * its sequence number; between two copies of one frame an intact one is kept.
 */
function replaces(candidate: KeyEntry, current: KeyEntry, stored: Buffer): boolean {
  if (candidate.seq !== current.seq) return candidate.seq > current.seq;
  return storedBytesIntact(candidate.key, stored);
}

function storedBytesIntact(key: string, stored: Buffer): boolean {
  const header = decodeHeader(stored);
  return header !== undefined && storedRecordIntact(key, stored, header);
}

function bucketOf(key: string, partition: number, partitions: number): number {
  try {
    return bucketInPartition(key, partition, partitions);
  } catch {
    return 0; // a key the frame CRC vouches for but that is not of its partition: only rot could do this
  }
}
