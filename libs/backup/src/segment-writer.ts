import { createHash } from 'node:crypto';
import { pipeline, Readable } from 'node:stream';
import { RedoubtError } from '@redoubt/errors';
import type { StoredRecord, Version } from '@redoubt/records';
import type { BackupStore } from './backup-store.js';
import { CODEC_IDS, createCompressor, type Compression } from './compression.js';
import { encodeRecordFrame } from './record-framing.js';
import { createChunkSealer, encodeChunkedHeader } from './segment-crypto.js';
import { encodeHeader, segmentName } from './segment-format.js';

export interface SegmentInfo {
  name: string;
  records: number;
  /** Bytes of record frames before compression. */
  rawBytes: number;
  /** Bytes of the object. */
  bytes: number;
  /** SHA-256 of the whole object, hex. */
  sha256: string;
}

export interface SegmentWriterOptions {
  /** The store the backup goes to, and the key prefix of its folder (`partitions/00042/<id>`). */
  store: BackupStore;
  prefix: string;
  /** Target id, for error messages. */
  target?: string;
  compression: Compression;
  /** AES-256-GCM key; plaintext segments when absent. */
  key?: Buffer;
  /** The backup and partition the segments belong to: bound into every encrypted chunk (segment-crypto.ts). */
  binding?: { backupId: string; partition: number };
  /** A new segment starts once this many raw bytes went into the current one. */
  segmentBytes: number;
  signal?: AbortSignal;
  /** Called after each segment is complete and durable (progress, and the crash tests' hook). */
  onSegment?: (info: SegmentInfo) => void | Promise<void>;
  /** Called every few hundred KiB with the running totals. */
  onProgress?: (records: number, rawBytes: number) => void;
}

export interface SegmentsWritten {
  segments: SegmentInfo[];
  records: number;
  tombstones: number;
  rawBytes: number;
  bytes: number;
  /** The newest version among the records written; undefined when there were none. */
  maxVersion: Version | undefined;
}

/** Frames are gathered into chunks of this size before they go to the compressor (fewer, larger writes). */
const CHUNK_BYTES = 256 * 1024;

/**
 * Writes records into numbered segment objects under `prefix`: framed, compressed, optionally encrypted,
 * each one stored atomically and durably (BackupStore.put) before the next begins and described (records, sizes, SHA-256) in the result. Memory is
 * bounded by one chunk plus the codec's window whatever the partition's size. Nothing here writes a
 * manifest: the caller does that last, once every segment is durable.
 */
export async function writeSegments(
  records: AsyncIterable<StoredRecord>,
  options: SegmentWriterOptions,
): Promise<SegmentsWritten> {
  const iterator = records[Symbol.asyncIterator]();
  const result: SegmentsWritten = {
    segments: [],
    records: 0,
    tombstones: 0,
    rawBytes: 0,
    bytes: 0,
    maxVersion: undefined,
  };
  let lookahead = await iterator.next();
  let lastProgress = 0;

  while (!lookahead.done) {
    options.signal?.throwIfAborted();
    const info: SegmentInfo = {
      name: segmentName(result.segments.length),
      records: 0,
      rawBytes: 0,
      bytes: 0,
      sha256: '',
    };
    // Pulls records for this segment until it is full; the first record past the limit stays in lookahead.
    const frames = async function* (): AsyncGenerator<Buffer> {
      let chunk: Buffer[] = [];
      let chunkBytes = 0;
      while (!lookahead.done && info.rawBytes < options.segmentBytes) {
        const record = lookahead.value;
        const frame = encodeRecordFrame(record);
        info.records++;
        info.rawBytes += frame.length;
        result.records++;
        result.rawBytes += frame.length;
        if (record.tombstone) result.tombstones++;
        if (result.maxVersion === undefined || record.version > result.maxVersion)
          result.maxVersion = record.version;
        chunk.push(frame);
        chunkBytes += frame.length;
        if (chunkBytes >= CHUNK_BYTES) {
          yield Buffer.concat(chunk, chunkBytes);
          chunk = [];
          chunkBytes = 0;
          if (result.rawBytes - lastProgress >= CHUNK_BYTES) {
            lastProgress = result.rawBytes;
            options.onProgress?.(result.records, result.rawBytes);
          }
        }
        lookahead = await iterator.next();
      }
      if (chunkBytes > 0) yield Buffer.concat(chunk, chunkBytes);
    };
    const key = options.prefix ? `${options.prefix}/${info.name}` : info.name;
    await writeOneSegment(key, frames(), info, options, result.segments.length);
    result.segments.push(info);
    result.bytes += info.bytes;
    options.onProgress?.(result.records, result.rawBytes);
    await options.onSegment?.(info);
  }
  return result;
}

async function writeOneSegment(
  key: string,
  frames: AsyncIterable<Buffer>,
  info: SegmentInfo,
  options: SegmentWriterOptions,
  segment: number,
): Promise<void> {
  if (options.key && !options.binding)
    throw new RedoubtError('INTERNAL', 'writeSegments: an encrypted segment needs its binding');
  // Encrypted: format 2, sealed chunk by chunk (segment-crypto.ts); plaintext: the format-1 header.
  const chunked = options.key ? encodeChunkedHeader(CODEC_IDS[options.compression.codec]) : undefined;
  const header = chunked?.raw ?? encodeHeader(CODEC_IDS[options.compression.codec], undefined);
  const hash = createHash('sha256');
  let bytes = 0;
  const cipher =
    options.key && chunked
      ? createChunkSealer(options.key, chunked, { ...options.binding!, segment })
      : undefined;
  const stages = [Readable.from(frames), createCompressor(options.compression), cipher].filter(
    (s) => s !== undefined,
  );
  // pipeline() destroys every stage when one fails; the error surfaces from the last one.
  const encoded: AsyncIterable<Buffer> =
    stages.length > 1
      ? (pipeline(
          stages as unknown as [Readable, NodeJS.ReadWriteStream],
          () => undefined,
        ) as unknown as Readable)
      : (stages[0] as Readable);
  const counted = (chunk: Buffer): Buffer => {
    hash.update(chunk);
    bytes += chunk.length;
    return chunk;
  };
  const body = async function* (): AsyncGenerator<Buffer> {
    yield counted(header);
    for await (const chunk of encoded) yield counted(chunk);
  };
  await options.store.put(key, body(), { signal: options.signal });
  info.bytes = bytes;
  info.sha256 = hash.digest('hex');
}
