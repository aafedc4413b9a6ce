import { crc32 } from 'node:zlib';
import type { StoredRecord } from '@redoubt/records';
import { storedRecordLength, writeStoredRecord } from './record-layout.js';

/**
 * One record in a log segment (log-record-store.ts):
 *
 * ```
 * [0..4)    u32  frame length (this header + key + stored bytes); 0 = nothing written from here on
 * [4..8)    u32  header CRC: CRC-32 over [0..4) and [8..24 + K)
 * [8..16)   f64  sequence number (an integer below 2^53): the order the node accepted its writes in
 * [16..20)  u32  partition
 * [20..22)  u16  key length K
 * [22..24)  u16  zero (reserved)
 * [24..24+K)     key (UTF-8)
 * [24+K..)       the stored record (record-layout.ts: its own header CRC and the record checksum)
 * ```
 * (integers big-endian)
 *
 * The header CRC lets a reader walk a segment and tell a torn or rotten frame header from a frame; the
 * stored bytes carry their own checks, verified on every read as the LMDB engine does.
 */
export const FRAME_HEADER_BYTES = 24;

export interface FrameHead {
  /** Whole frame, header included. */
  length: number;
  seq: number;
  partition: number;
  key: string;
  keyBytes: number;
  /** Where the stored record starts, from the frame's start. */
  storedAt: number;
}

/** A record's frame in one allocation: the header, the key, then the stored layout written in place. */
export function encodeFrame(
  seq: number,
  partition: number,
  record: StoredRecord,
  keyBytes: number,
  digest: Buffer,
): Buffer {
  const length = FRAME_HEADER_BYTES + keyBytes + storedRecordLength(record);
  const frame = Buffer.allocUnsafe(length);
  frame.writeUInt32BE(length, 0);
  frame.writeDoubleBE(seq, 8);
  frame.writeUInt32BE(partition, 16);
  frame.writeUInt16BE(keyBytes, 20);
  frame.writeUInt16BE(0, 22);
  frame.write(record.key, FRAME_HEADER_BYTES, 'utf8');
  writeStoredRecord(record, keyBytes, digest, frame, FRAME_HEADER_BYTES + keyBytes);
  frame.writeUInt32BE(headerCrc(frame, 0, keyBytes), 4);
  return frame;
}

/**
 * The frame at `at`, `end` where nothing was written (the end of the file, or a zero length where a
 * crash left the file longer than its data), or `torn` where the bytes are not a frame (a write cut
 * short by a crash, or rot in a header).
 */
export function readFrameHead(buf: Buffer, at: number, partitions: number): FrameHead | 'end' | 'torn' {
  if (at + 4 > buf.length) return 'end';
  const length = buf.readUInt32BE(at);
  if (length === 0) return 'end';
  if (length < FRAME_HEADER_BYTES || at + length > buf.length) return 'torn';
  const keyBytes = buf.readUInt16BE(at + 20);
  if (FRAME_HEADER_BYTES + keyBytes > length || buf.readUInt16BE(at + 22) !== 0) return 'torn';
  if (buf.readUInt32BE(at + 4) !== headerCrc(buf, at, keyBytes)) return 'torn';
  const seq = buf.readDoubleBE(at + 8);
  const partition = buf.readUInt32BE(at + 16);
  if (!Number.isSafeInteger(seq) || seq < 1 || partition >= partitions) return 'torn';
  return {
    length,
    seq,
    partition,
    key: buf.toString('utf8', at + FRAME_HEADER_BYTES, at + FRAME_HEADER_BYTES + keyBytes),
    keyBytes,
    storedAt: FRAME_HEADER_BYTES + keyBytes,
  };
}

/**
 * Calls `visit` for each frame of a segment's bytes, in order, until nothing more was written or the
 * bytes stop being frames. Returns where that is and whether it is a torn frame.
 *
 * With `lastIntact`, the last frame is visited only if it passes that check; otherwise it counts as
 * torn and `unfinished` is set. A crash can leave a last write whose frame header (and so its length)
 * reached the disk while its record did not (zero-filled or stale blocks after an extending write);
 * such a frame was never acknowledged and must not shadow the key's earlier, acknowledged version.
 * (The power-loss harness found replay taking such a frame as the key's state.)
 */
export function forEachFrame(
  buf: Buffer,
  partitions: number,
  visit: (head: FrameHead, at: number) => void,
  lastIntact?: (head: FrameHead, at: number) => boolean,
): { end: number; torn: boolean; unfinished?: boolean } {
  let at = 0;
  let held: { head: FrameHead; at: number } | undefined;
  for (;;) {
    const head = readFrameHead(buf, at, partitions);
    if (head === 'end' || head === 'torn') {
      if (held !== undefined && lastIntact !== undefined && !lastIntact(held.head, held.at)) {
        return { end: held.at, torn: true, unfinished: true };
      }
      if (held !== undefined) visit(held.head, held.at);
      return { end: at, torn: head === 'torn' };
    }
    if (held !== undefined) visit(held.head, held.at);
    held = { head, at };
    at += head.length;
  }
}

function headerCrc(buf: Buffer, at: number, keyBytes: number): number {
  const lengthCrc = crc32(buf.subarray(at, at + 4));
  return crc32(buf.subarray(at + 8, at + FRAME_HEADER_BYTES + keyBytes), lengthCrc) >>> 0;
}
