import { RedoubtError } from '@redoubt/errors';
import { decodeMessage, encodeMessage, type StoredRecord } from '@redoubt/records';
import type { WireError } from './internal-protocol.js';

/**
 * Partition streams: a sequence of frames `[u32 BE payload length][u8 kind][payload]` in a chunked HTTP
 * body. The payload is MessagePack. A stream ends with exactly one `end` frame (or an `error` frame), so
 * a receiver can tell a complete stream from one cut off by a crash.
 */
export const FRAME_HEADER_BYTES = 5;
/** Larger than any record (values are at most a few MiB) but small enough to refuse garbage lengths. */
export const MAX_FRAME_BYTES = 32 * 1024 * 1024;

export const FrameKind = { record: 1, end: 2, error: 3 } as const;

export interface StreamEndSummary {
  records: number;
  bytes: number;
  /** Records the sender skipped because they failed their checksum there (stream out only). */
  corrupt: number;
}

export type Frame =
  | { kind: typeof FrameKind.record; record: StoredRecord; bytes: number }
  | { kind: typeof FrameKind.end; summary: StreamEndSummary }
  | { kind: typeof FrameKind.error; error: WireError };

export function encodeFrame(kind: number, payload: unknown): Buffer {
  const body = encodeMessage(payload);
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  out.writeUInt32BE(body.length, 0);
  out[4] = kind;
  body.copy(out, FRAME_HEADER_BYTES);
  return out;
}

/**
 * Incremental frame parser: feed it the chunks of a body as they arrive; it returns the frames completed
 * so far. A frame within one chunk is decoded in place; one spanning chunks is joined once.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  push(chunk: Uint8Array): Frame[] {
    if (chunk.length > 0) {
      this.chunks.push(
        Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length),
      );
      this.buffered += chunk.length;
    }
    const frames: Frame[] = [];
    while (this.buffered >= FRAME_HEADER_BYTES) {
      const header = this.peekHeader();
      const length = header.readUInt32BE(0);
      if (length > MAX_FRAME_BYTES) {
        throw new RedoubtError(
          'FRAME_INVALID',
          `a frame of ${length} bytes exceeds the ${MAX_FRAME_BYTES} limit`,
        );
      }
      if (this.buffered < FRAME_HEADER_BYTES + length) break;
      const bytes = this.take(FRAME_HEADER_BYTES + length);
      frames.push(decodeFrame(bytes[4]!, bytes.subarray(FRAME_HEADER_BYTES)));
    }
    return frames;
  }

  /** Throws FRAME_INVALID when the body ended inside a frame. */
  finish(): void {
    if (this.buffered > 0)
      throw new RedoubtError(
        'FRAME_INVALID',
        `the stream ended inside a frame (${this.buffered} bytes left)`,
      );
  }

  private peekHeader(): Buffer {
    if (this.chunks[0]!.length < FRAME_HEADER_BYTES) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!;
  }

  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    this.buffered -= n;
    if (first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const joined = Buffer.concat(this.chunks, this.buffered + n);
    const rest = joined.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    return joined.subarray(0, n);
  }
}

function decodeFrame(kind: number, payload: Buffer): Frame {
  switch (kind) {
    case FrameKind.record:
      return { kind, record: decodeMessage<StoredRecord>(payload), bytes: payload.length };
    case FrameKind.end:
      return { kind, summary: decodeMessage<StreamEndSummary>(payload) };
    case FrameKind.error:
      return { kind, error: decodeMessage<WireError>(payload) };
    default:
      throw new RedoubtError('FRAME_INVALID', `unknown frame kind ${kind}`);
  }
}

/** Frames of a body read as it arrives (back-pressure: the source is only read as fast as frames are taken). */
export async function* readFrames(
  body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): AsyncGenerator<Frame> {
  const decoder = new FrameDecoder();
  for await (const chunk of body) yield* decoder.push(chunk);
  decoder.finish();
}

/**
 * Record frames of `records` then an end frame, grouped into chunks of about `chunkBytes` so that the
 * body is written in few large writes; at most one chunk is buffered.
 */
export async function* recordFrameChunks(
  records: AsyncIterable<StoredRecord> | Iterable<StoredRecord>,
  chunkBytes = 64 * 1024,
): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let count = 0;
  let bytes = 0;
  for await (const record of records) {
    const frame = encodeFrame(FrameKind.record, record);
    count++;
    bytes += frame.length - FRAME_HEADER_BYTES;
    pending.push(frame);
    pendingBytes += frame.length;
    if (pendingBytes >= chunkBytes) {
      yield pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
    }
  }
  pending.push(encodeFrame(FrameKind.end, { records: count, bytes, corrupt: 0 } satisfies StreamEndSummary));
  yield Buffer.concat(pending);
}
