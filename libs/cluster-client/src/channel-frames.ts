import type { Duplex } from 'node:stream';
import { RedoubtError } from '@redoubt/errors';
import { MAX_BATCH_BODY_BYTES } from './internal-protocol.js';
import { LengthPrefixedSplitter } from './length-prefixed.js';

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
 * Incremental parser of a channel's byte stream (a LengthPrefixedSplitter, whose length counts id, kind
 * and payload). A length beyond the batch limit is garbage, not a frame: FRAME_INVALID, after which the
 * stream cannot be resynchronised and the connection must go.
 */
export class ChannelFrameReader {
  private readonly splitter: LengthPrefixedSplitter;

  constructor(maxFrameBytes = MAX_BATCH_BODY_BYTES + 1024) {
    this.splitter = new LengthPrefixedSplitter((length) => {
      if (length < 5 || length > maxFrameBytes) {
        throw new RedoubtError('FRAME_INVALID', `a channel frame of ${length} bytes is malformed`, {
          length,
        });
      }
      return 4 + length;
    });
  }

  /** The frames `chunk` completes; none of them if a malformed length follows in it. */
  push(chunk: Buffer): ChannelFrame[] {
    return Array.from(this.splitter.push(chunk), (frame) => ({
      id: frame.readUInt32BE(4),
      kind: frame[8]!,
      payload: frame.subarray(CHANNEL_HEADER_BYTES),
    }));
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
