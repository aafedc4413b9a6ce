import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RedoubtError } from '@redoubt/errors';
import type { StoredRecord, Version } from '@redoubt/records';
import { CODEC_IDS, createCompressor, type Compression } from './compression.js';
import { unwritable } from './durable-files.js';
import { encodeRecordFrame } from './record-framing.js';
import { createChunkSealer, encodeChunkedHeader } from './segment-crypto.js';
import { encodeHeader, segmentName } from './segment-format.js';

export interface SegmentInfo {
  name: string;
  records: number;
  /** Bytes of record frames before compression. */
  rawBytes: number;
  /** Bytes of the file. */
  bytes: number;
  /** SHA-256 of the whole file, hex. */
  sha256: string;
}

export interface SegmentWriterOptions {
  /** The backup's directory (exists). */
  dir: string;
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
  /** Called after each segment is complete and fsynced (progress, and the crash tests' hook). */
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

async function writeAll(handle: FileHandle, chunk: Buffer): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset, null);
    offset += bytesWritten;
  }
}

/**
 * Writes records into numbered segment files in `dir`: framed, compressed, optionally encrypted, each
 * file fsynced before the next begins and described (records, sizes, SHA-256) in the result. Memory is
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
    await writeOneSegment(join(options.dir, info.name), frames(), info, options, result.segments.length);
    result.segments.push(info);
    result.bytes += info.bytes;
    options.onProgress?.(result.records, result.rawBytes);
    await options.onSegment?.(info);
  }
  return result;
}

async function writeOneSegment(
  path: string,
  frames: AsyncIterable<Buffer>,
  info: SegmentInfo,
  options: SegmentWriterOptions,
  segment: number,
): Promise<void> {
  if (options.key && !options.binding)
    throw new RedoubtError('INTERNAL', 'writeSegments: an encrypted segment needs its binding');
  let handle: FileHandle;
  try {
    handle = await open(path, 'wx', 0o640);
  } catch (error) {
    throw unwritable(error, path, options.target);
  }
  try {
    // Encrypted: format 2, sealed chunk by chunk (segment-crypto.ts); plaintext: the format-1 header.
    const chunked = options.key ? encodeChunkedHeader(CODEC_IDS[options.compression.codec]) : undefined;
    const header = chunked?.raw ?? encodeHeader(CODEC_IDS[options.compression.codec], undefined);
    const hash = createHash('sha256').update(header);
    let bytes = header.length;
    const cipher =
      options.key && chunked
        ? createChunkSealer(options.key, chunked, { ...options.binding!, segment })
        : undefined;
    const fileError = (error: unknown) => unwritable(error, path, options.target);
    await writeAll(handle, header).catch((error: unknown) => {
      throw fileError(error);
    });
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        bytes += chunk.length;
        writeAll(handle, chunk).then(
          () => callback(),
          (error: unknown) => callback(fileError(error)),
        );
      },
    });
    const stages = [Readable.from(frames), createCompressor(options.compression), cipher, sink].filter(
      (s) => s !== undefined,
    );
    await pipeline(stages as unknown as [Readable, Writable], { signal: options.signal });
    await handle.sync().catch((error: unknown) => {
      throw fileError(error);
    });
    info.bytes = bytes;
    info.sha256 = hash.digest('hex');
  } finally {
    await handle.close().catch(() => undefined);
  }
}
