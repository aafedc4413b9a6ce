import { createDecipheriv, createHash } from 'node:crypto';
import { pipeline, Readable } from 'node:stream';
import { RedoubtError } from '@redoubt/errors';
import type { StoredRecord } from '@redoubt/records';
import { missingObject, type BackupStore } from './backup-store.js';
import { codecOfId, createDecompressor, type CompressionCodec } from './compression.js';
import { RecordFrameDecoder, type RecordWithPayload } from './record-framing.js';
import {
  decodeChunkedHeader,
  openChunks,
  type ChunkedHeader,
  type SegmentBinding,
} from './segment-crypto.js';
import { decodeHeader, TAG_BYTES, type SegmentHeader } from './segment-format.js';
import type { BackupManifest } from './manifest.js';
import type { SegmentInfo } from './segment-writer.js';

export interface SegmentExpectations {
  info: SegmentInfo;
  /** What the manifest says about the whole backup. */
  encrypted: boolean;
  codec: CompressionCodec;
  /**
   * Where the segment belongs (bound into its encrypted chunks). Absent only for a format-1 manifest
   * (written before chunked encryption; read under BACKUP_ACCEPT_UNSIGNED=true), whose encrypted segments
   * are one GCM message each and are the only ones still read the old way.
   */
  binding?: SegmentBinding;
}

/** What a manifest says about its `info` segment, for readSegmentRecords. */
export function segmentExpectations(manifest: BackupManifest, info: SegmentInfo): SegmentExpectations {
  return {
    info,
    encrypted: manifest.encryption !== null,
    codec: manifest.compression.codec,
    binding:
      manifest.formatVersion >= 2
        ? { backupId: manifest.id, partition: manifest.partition, segment: Number(info.name.slice(4, 10)) }
        : undefined,
  };
}

/** Size of a segment object; BACKUP_CORRUPT naming it when it is missing. */
async function sizeOf(store: BackupStore, segment: string, signal?: AbortSignal): Promise<number> {
  const found = await store.head(segment, { signal });
  if (!found) throw missingObject(store.describe(segment), 'segment');
  return found.size;
}

/**
 * SHA-256 and size of a segment object, compared with what the manifest recorded. Throws BACKUP_CORRUPT
 * naming the object when it is missing, has another size or another hash. Needs no key: verify runs
 * anywhere.
 */
export async function checkSegmentHash(
  store: BackupStore,
  segment: string,
  info: SegmentInfo,
  signal?: AbortSignal,
): Promise<void> {
  const path = store.describe(segment);
  const size = await sizeOf(store, segment, signal);
  if (size !== info.bytes) {
    throw new RedoubtError(
      'BACKUP_CORRUPT',
      `segment ${path} has ${size} bytes; its manifest says ${info.bytes}`,
      {
        file: path,
      },
    );
  }
  const hash = createHash('sha256');
  let read = 0;
  for await (const chunk of store.read(segment, { signal })) {
    hash.update(chunk);
    read += chunk.length;
  }
  const actual = hash.digest('hex');
  if (read !== info.bytes || actual !== info.sha256) {
    throw new RedoubtError('BACKUP_CORRUPT', `segment ${path} failed its SHA-256 check`, {
      file: path,
      expected: info.sha256,
      actual,
    });
  }
}

/**
 * The records of one segment, decrypted, decompressed, each checked against its CRC. The whole file's
 * SHA-256 is checked too, but only known at the end: callers that must not act on a damaged segment at
 * all (restore) run checkSegmentHash over the chain first.
 */
export async function* readSegmentRecords(
  store: BackupStore,
  segment: string,
  expected: SegmentExpectations,
  key: Buffer | undefined,
  signal?: AbortSignal,
): AsyncGenerator<StoredRecord> {
  for await (const { record } of readSegmentFrames(store, segment, expected, key, signal)) yield record;
}

/** readSegmentRecords with each record's MessagePack bytes (a restore sends those on as they are). */
export async function* readSegmentFrames(
  store: BackupStore,
  segment: string,
  expected: SegmentExpectations,
  key: Buffer | undefined,
  signal?: AbortSignal,
): AsyncGenerator<RecordWithPayload> {
  const { info } = expected;
  const path = store.describe(segment);
  const corrupt = (what: string) =>
    new RedoubtError('BACKUP_CORRUPT', `segment ${path}: ${what}`, { file: path });
  let header: SegmentHeader | undefined;
  let chunked: ChunkedHeader | undefined;
  let tag: Buffer | undefined;
  let aad: Buffer | undefined;
  const size = await sizeOf(store, segment, signal);
  const range = async (start: number, end: number): Promise<Buffer> => {
    const parts: Buffer[] = [];
    for await (const chunk of store.read(segment, { start, end, signal })) parts.push(chunk);
    return Buffer.concat(parts);
  };
  if (size > 0) {
    const head = await range(0, Math.min(size, 64) - 1);
    header = decodeHeader(head);
    chunked = header ? undefined : decodeChunkedHeader(head);
    if (chunked)
      header = { encrypted: true, codecId: chunked.codecId, iv: undefined, bytes: chunked.raw.length };
    if (header) aad = Buffer.from(head.subarray(0, header.bytes));
    if (header?.encrypted && !chunked && size >= header.bytes + TAG_BYTES) {
      tag = await range(size - TAG_BYTES, size - 1);
    }
  }
  if (size !== info.bytes) throw corrupt(`the file has ${size} bytes; its manifest says ${info.bytes}`);
  if (!header) throw corrupt('not a redoubt backup segment (bad header)');
  if (header.encrypted !== expected.encrypted) {
    throw corrupt(
      `the segment is ${header.encrypted ? '' : 'not '}encrypted but its manifest says otherwise`,
    );
  }
  if (header.encrypted && !chunked && expected.binding) {
    // A format-2 backup's encrypted segments are chunked; a whole-segment GCM one here was put in its place.
    throw corrupt('an unchunked (format 1) encrypted segment in a format 2 backup');
  }
  if (chunked && !expected.binding) throw corrupt('a format 2 segment in a format 1 backup');
  const codec = codecOfId(header.codecId);
  if (codec !== expected.codec)
    throw corrupt(`codec ${header.codecId} does not match the manifest's ${expected.codec}`);
  if (header.encrypted && !key) {
    throw new RedoubtError(
      'BACKUP_KEY_INVALID',
      `segment ${path} is encrypted and no BACKUP_ENCRYPTION_KEY is set`,
      {
        file: path,
      },
    );
  }
  const bodyEnd = size - (header.encrypted && !chunked ? TAG_BYTES : 0);
  if (bodyEnd < header.bytes) throw corrupt('the file is shorter than its header');

  const hash = createHash('sha256');
  const headerBytes = header.bytes;
  // The header is authenticated as GCM additional data (segment-format.ts).
  const decipher =
    header.encrypted && key && header.iv && tag
      ? createDecipheriv('aes-256-gcm', key, header.iv).setAAD(aad!).setAuthTag(tag)
      : undefined;
  const fileBody = async function* (): AsyncGenerator<Buffer> {
    let offset = 0;
    for await (const chunk of store.read(segment, { signal })) {
      hash.update(chunk);
      const start = offset;
      offset += chunk.length;
      const from = Math.max(headerBytes - start, 0);
      const to = Math.min(bodyEnd - start, chunk.length);
      if (to <= from) continue;
      yield chunk.subarray(from, to);
    }
  };
  const body = async function* (): AsyncGenerator<Buffer> {
    if (chunked && key && expected.binding) {
      // Each chunk is released only once its tag verified (segment-crypto.ts).
      yield* openChunks(fileBody(), bodyEnd - headerBytes, key, chunked, expected.binding, corrupt);
      return;
    }
    for await (const piece of fileBody()) yield decipher ? decipher.update(piece) : piece;
    if (decipher) {
      // Format 1 only (migration): one tag for the whole segment, checked at its end.
      try {
        yield decipher.final();
      } catch {
        throw corrupt('failed AES-GCM authentication (altered, or written under another key)');
      }
    }
  };

  const decompressor = createDecompressor(codec);
  const plain: AsyncIterable<Buffer> = decompressor
    ? pipeline(Readable.from(body()), decompressor, () => undefined)
    : body();
  const decoder = new RecordFrameDecoder(path);
  let count = 0;
  try {
    for await (const chunk of plain) {
      for (const frame of decoder.pushFrames(chunk as Buffer)) {
        count++;
        yield frame;
      }
    }
  } catch (error) {
    if (error instanceof RedoubtError) throw error;
    throw corrupt(`could not be decompressed (${(error as Error).message})`);
  }
  decoder.finish();
  if (hash.digest('hex') !== info.sha256) throw corrupt('failed its SHA-256 check');
  if (count !== info.records) throw corrupt(`holds ${count} records; its manifest says ${info.records}`);
}
