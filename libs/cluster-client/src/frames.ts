import { RedoubtError } from '@redoubt/errors';
import { decodeMessage, encodeMessage, type StoredRecord } from '@redoubt/records';
import type { WireError } from './internal-protocol.js';
import { LengthPrefixedSplitter } from './length-prefixed.js';

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
 * so far (a LengthPrefixedSplitter, whose length counts the payload only). A frame within one chunk is
 * decoded in place; one spanning chunks is joined once.
 */
export class FrameDecoder {
  private readonly splitter = new LengthPrefixedSplitter((length) => {
    if (length > MAX_FRAME_BYTES) {
      throw new RedoubtError(
        'FRAME_INVALID',
        `a frame of ${length} bytes exceeds the ${MAX_FRAME_BYTES} limit`,
      );
    }
    return FRAME_HEADER_BYTES + length;
  });

  push(chunk: Uint8Array): Frame[] {
    return Array.from(this.splitter.push(chunk), (bytes) =>
      decodeFrame(bytes[4]!, bytes.subarray(FRAME_HEADER_BYTES)),
    );
  }

  /** Throws FRAME_INVALID when the body ended inside a frame. */
  finish(): void {
    const left = this.splitter.bufferedBytes;
    if (left > 0)
      throw new RedoubtError('FRAME_INVALID', `the stream ended inside a frame (${left} bytes left)`);
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

/** Record frames ready to send: whole frames only, with how many records and payload bytes they hold. */
export interface RecordFrameBatch {
  chunk: Buffer;
  records: number;
  /** Payload bytes (frame headers not counted), as the end frame reports them. */
  bytes: number;
}

/**
 * Packs records into RecordFrameBatches of about `chunkBytes`. A record can come as its MessagePack
 * payload (`addPayload`, e.g. as read from a backup segment, which holds the same encoding): it is framed
 * without being encoded again. Batches are what a restore fans out to every replica, built once.
 */
export class RecordFrameBatcher {
  private parts: Buffer[] = [];
  private size = 0;
  private records = 0;
  private bytes = 0;

  constructor(private readonly chunkBytes = 64 * 1024) {}

  /** `payload` must be MessagePack of one record (the receiver decodes and checks it). */
  addPayload(payload: Buffer): RecordFrameBatch | undefined {
    const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
    header.writeUInt32BE(payload.length, 0);
    header[4] = FrameKind.record;
    this.parts.push(header, payload);
    this.size += FRAME_HEADER_BYTES + payload.length;
    this.records++;
    this.bytes += payload.length;
    return this.size >= this.chunkBytes ? this.flush() : undefined;
  }

  add(record: StoredRecord): RecordFrameBatch | undefined {
    return this.addPayload(encodeMessage(record));
  }

  /** What is left, or undefined when nothing is. */
  flush(): RecordFrameBatch | undefined {
    if (this.records === 0) return undefined;
    const batch = { chunk: Buffer.concat(this.parts, this.size), records: this.records, bytes: this.bytes };
    this.parts = [];
    this.size = 0;
    this.records = 0;
    this.bytes = 0;
    return batch;
  }
}

/** The body of a stream in: the batches' chunks, then an end frame counting them. */
export async function* batchedStreamBody(
  batches: AsyncIterable<RecordFrameBatch> | Iterable<RecordFrameBatch>,
): AsyncGenerator<Buffer> {
  let records = 0;
  let bytes = 0;
  for await (const batch of batches) {
    records += batch.records;
    bytes += batch.bytes;
    yield batch.chunk;
  }
  yield encodeFrame(FrameKind.end, { records, bytes, corrupt: 0 } satisfies StreamEndSummary);
}

/**
 * Record frames of `records` then an end frame, grouped into chunks of about `chunkBytes` so that the
 * body is written in few large writes; at most one chunk is buffered.
 */
export async function* recordFrameChunks(
  records: AsyncIterable<StoredRecord> | Iterable<StoredRecord>,
  chunkBytes = 64 * 1024,
): AsyncGenerator<Buffer> {
  const batcher = new RecordFrameBatcher(chunkBytes);
  yield* batchedStreamBody(
    (async function* () {
      for await (const record of records) {
        const batch = batcher.add(record);
        if (batch) yield batch;
      }
      const last = batcher.flush();
      if (last) yield last;
    })(),
  );
}
