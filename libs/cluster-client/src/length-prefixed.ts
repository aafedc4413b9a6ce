/**
 * Splits a byte stream into length-prefixed frames as its chunks arrive: the one mechanism under the
 * partition streams (frames.ts), the batch channel (channel-frames.ts) and backup segments. Every frame
 * starts with a 4-byte big-endian length; `frameBytes(length)` says how many bytes the whole frame takes
 * in its format (formats count the length differently) and throws for a length no frame can have, since
 * a stream with a garbage length cannot be resynchronised. A frame inside one chunk is a view of that
 * chunk; one spanning chunks is joined once, when its last byte has arrived.
 */
export class LengthPrefixedSplitter {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Bytes the frame at the head needs in all (4 while its length is unknown). */
  private needed = 4;

  constructor(private readonly frameBytes: (length: number) => number) {}

  /** Bytes held that do not make a whole frame yet (0 when the stream ended on a frame boundary). */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** The frames completed by `chunk`, length prefix included, one at a time. */
  *push(chunk: Uint8Array): Generator<Buffer> {
    if (chunk.length > 0) {
      this.chunks.push(
        Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length),
      );
      this.buffered += chunk.length;
    }
    if (this.buffered < this.needed) return; // a large frame still arriving: join it once, at the end
    let buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
    this.chunks = [buf];
    this.needed = 4;
    while (buf.length >= 4) {
      const total = this.frameBytes(buf.readUInt32BE(0));
      if (buf.length < total) {
        this.needed = total;
        return;
      }
      const frame = buf.subarray(0, total);
      buf = buf.subarray(total);
      this.chunks = buf.length > 0 ? [buf] : [];
      this.buffered = buf.length;
      yield frame;
    }
  }
}
