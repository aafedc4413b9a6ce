import type { Duplex } from 'node:stream';
import { RedoubtError } from '@redoubt/errors';
import { MAX_BATCH_BODY_BYTES } from './internal-protocol.js';

/**
 * Frames of the batch channel (batch-channel.ts): after an HTTP upgrade, both directions carry
 * `[u32 BE length][u32 BE id][u8 kind][payload]`, where length counts id, kind and payload. The payload is
 * MessagePack: `{ ops }` for a request, `{ results }` for its answer, `{ error }` when the whole batch
 * failed. The id pairs an answer with its request; answers may come in any order (a batch of gets is
 * answered at once, while a batch of puts waits for its commit).
 */
export const CHANNEL_PROTOCOL = 'redoubt-batch/1';
export const CHANNEL_HEADER_BYTES = 9;
export const ChannelFrameKind = { request: 1, results: 2, error: 3 } as const;

export interface ChannelFrame {
  id: number;
  kind: number;
  payload: Buffer;
}

export function encodeChannelFrame(id: number, kind: number, payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(CHANNEL_HEADER_BYTES + payload.length);
  out.writeUInt32BE(payload.length + 5, 0);
  out.writeUInt32BE(id >>> 0, 4);
  out[8] = kind;
  out.set(payload, CHANNEL_HEADER_BYTES);
  return out;
}

/**
 * Incremental parser of a channel's byte stream. A frame inside one chunk is a view of that chunk (no
 * copy); one spanning chunks is joined once. A length beyond the batch limit is garbage, not a frame:
 * FRAME_INVALID, after which the stream cannot be resynchronised and the connection must go.
 */
export class ChannelFrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Bytes the frame at the head needs in all (4 while its length is unknown). */
  private needed = 4;

  constructor(private readonly maxFrameBytes = MAX_BATCH_BODY_BYTES + 1024) {}

  push(chunk: Buffer): ChannelFrame[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered < this.needed) return []; // a large frame still arriving: join it once, at the end
    let buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
    const frames: ChannelFrame[] = [];
    this.needed = 4;
    while (buf.length >= 4) {
      const length = buf.readUInt32BE(0);
      if (length < 5 || length > this.maxFrameBytes) {
        throw new RedoubtError('FRAME_INVALID', `a channel frame of ${length} bytes is malformed`, {
          length,
        });
      }
      if (buf.length < 4 + length) {
        this.needed = 4 + length;
        break;
      }
      frames.push({
        id: buf.readUInt32BE(4),
        kind: buf[8]!,
        payload: buf.subarray(CHANNEL_HEADER_BYTES, 4 + length),
      });
      buf = buf.subarray(4 + length);
    }
    this.chunks = buf.length > 0 ? [buf] : [];
    this.buffered = buf.length;
    return frames;
  }
}

/**
 * Reads a channel's frames off an upgraded socket: `head` (the bytes that came with the upgrade) first,
 * then every chunk, each complete frame handed to `onFrame`. A malformed length makes the stream
 * unreadable from there on: `onInvalid` hears of it and the socket is destroyed. Both ends of the channel
 * (and the tests' fake nodes) read this way.
 */
export function readChannelFrames(
  socket: Duplex,
  head: Buffer,
  onFrame: (frame: ChannelFrame) => void,
  onInvalid: (error: RedoubtError) => void = () => {},
): void {
  const reader = new ChannelFrameReader();
  const onData = (chunk: Buffer) => {
    let frames: ChannelFrame[];
    try {
      frames = reader.push(chunk);
    } catch (error) {
      onInvalid(error as RedoubtError);
      socket.destroy();
      return;
    }
    for (const frame of frames) onFrame(frame);
  };
  if (head.length > 0) onData(head);
  socket.on('data', onData);
}
