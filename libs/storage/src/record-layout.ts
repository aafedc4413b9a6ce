import { crc32 } from 'node:zlib';
import { checksumOf, type StoredRecord } from '@redoubt/records';
import { DIGEST_BYTES } from './record-digest.js';

/**
 * The bytes of a record in the `records` database (the key lives in the LMDB key, not here):
 *
 * ```
 * [0]        u8   layout version (1)
 * [1]        u8   flags: bit 0 = tombstone
 * [2..10)    8    digest of (key, version, tombstone): what the record adds to its bucket digest
 * [10..14)   u32  accounted bytes (key bytes + all these bytes), added to the bucket/partition totals
 * [14..18)   u32  record checksum (CRC-32 of @redoubt/records over every field)
 * [18]       u8   version length V
 * [19..)     V    version (ASCII)
 * [..+2)     u16  content type length C
 * [..+C)     C    content type (UTF-8)
 * [..+4)     u32  header CRC: CRC-32 over every byte before it
 * [..end)         value bytes
 * ```
 * (integers big-endian)
 *
 * Two checks with two jobs. The record checksum decides whether the record may be served (it covers
 * the value). The header CRC decides whether the header's bookkeeping (digest, bytes, version) can be
 * trusted when the record is replaced: a record whose value rotted still has a trustworthy header, so
 * its contribution is taken out of the bucket digest exactly; a record whose header rotted makes the
 * writer rebuild that one bucket's aggregate from its records instead (see AggregateUpdates).
 *
 * Hand-rolled rather than msgpack: the value is stored once, as is, after a small header; decoding is a
 * few reads; and the header can be read without touching the value.
 */
const LAYOUT_VERSION = 1;
const FLAG_TOMBSTONE = 1;
const FIXED_HEADER_BYTES = 19; // up to and including the version length byte
export const MAX_CONTENT_TYPE_BYTES = 1024;

export interface RecordHeader {
  tombstone: boolean;
  digest: Buffer;
  /** Key bytes + stored bytes: what the record counts for in bucket and partition totals. */
  bytes: number;
  checksum: number;
  version: string;
  contentType: string;
  /** Where the value starts in the stored bytes. */
  valueOffset: number;
}

/**
 * A Buffer over exactly the stored bytes. lmdb-js's fast reads (`getBinaryFast`) return a reused buffer
 * whose own `length` is the value's size while its `byteLength` is the buffer's capacity, so every decoder
 * here goes through `length`, never `byteLength`.
 */
export function viewOf(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

export function encodeStoredRecord(record: StoredRecord, keyBytes: number, digest: Buffer): Buffer {
  const out = Buffer.allocUnsafe(storedRecordLength(record));
  writeStoredRecord(record, keyBytes, digest, out, 0);
  return out;
}

/** The length of a record's stored bytes. */
export function storedRecordLength(record: StoredRecord): number {
  const contentTypeBytes = Buffer.byteLength(record.contentType, 'utf8');
  return FIXED_HEADER_BYTES + record.version.length + 2 + contentTypeBytes + 4 + record.value.length;
}

/** Writes a record's stored bytes into `out` at `start` (storedRecordLength bytes). */
export function writeStoredRecord(
  record: StoredRecord,
  keyBytes: number,
  digest: Buffer,
  out: Buffer,
  start: number,
): void {
  const versionBytes = record.version.length; // ASCII by construction (assertVersion)
  const total = storedRecordLength(record);
  out[start] = LAYOUT_VERSION;
  out[start + 1] = record.tombstone ? FLAG_TOMBSTONE : 0;
  digest.copy(out, start + 2, 0, DIGEST_BYTES);
  out.writeUInt32BE(keyBytes + total, start + 10);
  out.writeUInt32BE(record.checksum >>> 0, start + 14);
  out[start + 18] = versionBytes;
  out.write(record.version, start + FIXED_HEADER_BYTES, 'latin1');
  let at = start + FIXED_HEADER_BYTES + versionBytes;
  const contentTypeBytes = out.write(record.contentType, at + 2, 'utf8');
  out.writeUInt16BE(contentTypeBytes, at);
  at += 2 + contentTypeBytes;
  out.writeUInt32BE(crc32(out.subarray(start, at)) >>> 0, at);
  out.set(record.value, at + 4);
}

/** The header, or undefined when it is malformed or fails its CRC (then nothing in it can be trusted). */
export function decodeHeader(bytes: Uint8Array): RecordHeader | undefined {
  if (bytes.length < FIXED_HEADER_BYTES + 2 + 4 || bytes[0] !== LAYOUT_VERSION) return undefined;
  const buf = viewOf(bytes);
  const flags = buf[1]!;
  if ((flags & ~FLAG_TOMBSTONE) !== 0) return undefined;
  const versionBytes = buf[18]!;
  let at = FIXED_HEADER_BYTES + versionBytes;
  if (at + 2 > buf.length) return undefined;
  const contentTypeBytes = buf.readUInt16BE(at);
  const contentTypeAt = at + 2;
  at = contentTypeAt + contentTypeBytes;
  if (at + 4 > buf.length) return undefined;
  if (buf.readUInt32BE(at) !== crc32(buf.subarray(0, at)) >>> 0) return undefined;
  return {
    tombstone: (flags & FLAG_TOMBSTONE) !== 0,
    digest: Buffer.from(buf.subarray(2, 2 + DIGEST_BYTES)),
    bytes: buf.readUInt32BE(10),
    checksum: buf.readUInt32BE(14),
    version: buf.toString('latin1', FIXED_HEADER_BYTES, FIXED_HEADER_BYTES + versionBytes),
    contentType: buf.toString('utf8', contentTypeAt, contentTypeAt + contentTypeBytes),
    valueOffset: at + 4,
  };
}

/**
 * The record in `bytes`, or undefined when its header cannot be trusted. The record checksum is NOT
 * verified here (callers do, with isIntact). The value is a slice of `bytes`: pass a stable buffer.
 */
export function decodeStoredRecord(key: string, bytes: Uint8Array): StoredRecord | undefined {
  const header = decodeHeader(bytes);
  if (header === undefined) return undefined;
  return {
    key,
    value: viewOf(bytes).subarray(header.valueOffset),
    contentType: header.contentType,
    version: header.version,
    tombstone: header.tombstone,
    checksum: header.checksum,
  };
}

/** Verifies the full record checksum of stored bytes whose header is already decoded (no copy). */
export function storedRecordIntact(key: string, stored: Uint8Array, header: RecordHeader): boolean {
  const value = viewOf(stored).subarray(header.valueOffset);
  const fields = {
    key,
    value,
    contentType: header.contentType,
    version: header.version,
    tombstone: header.tombstone,
  };
  return checksumOf(fields) === header.checksum;
}

/**
 * FOR TESTS: a damaged copy of stored bytes. `value`: the record fails its checksum while its header
 * stays trustworthy (a value byte flipped; for an empty value the stored checksum is flipped and the
 * header CRC redone). `header`: a version byte flipped, so the header CRC fails too.
 */
export function damageStoredRecord(bytes: Uint8Array, part: 'value' | 'header'): Buffer {
  const damaged = Buffer.from(viewOf(bytes));
  const header = decodeHeader(damaged);
  if (part === 'header' || header === undefined) {
    damaged[FIXED_HEADER_BYTES]! ^= 0x01;
    return damaged;
  }
  if (damaged.length > header.valueOffset) {
    damaged[damaged.length - 1]! ^= 0x5a;
    return damaged;
  }
  damaged[14]! ^= 0x5a; // the record checksum
  const crcAt = header.valueOffset - 4;
  damaged.writeUInt32BE(crc32(damaged.subarray(0, crcAt)) >>> 0, crcAt);
  return damaged;
}
