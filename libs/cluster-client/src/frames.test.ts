import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatVersion, makeRecord, type StoredRecord } from '@redoubt/records';
import { encodeFrame, FrameDecoder, FrameKind, readFrames, recordFrameChunks, type Frame } from './frames.js';

const recordArb: fc.Arbitrary<StoredRecord> = fc
  .record({
    key: fc.string({ minLength: 1, maxLength: 20 }),
    value: fc.uint8Array({ maxLength: 3000 }),
    wall: fc.nat(1e9),
  })
  .map(({ key, value, wall }) =>
    makeRecord({
      key,
      value,
      contentType: 'application/octet-stream',
      version: formatVersion({ wall, logical: 0, writer: 'w' }),
      tombstone: false,
    }),
  );

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of iterable) out.push(x);
  return out;
}

function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  for (const p of points) {
    out.push(bytes.subarray(at, p));
    at = p;
  }
  out.push(bytes.subarray(at));
  return out;
}

describe('frames', () => {
  it('decode the same records whatever the chunk boundaries', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(recordArb, { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        async (records, cuts) => {
          const body = Buffer.concat(await collect(recordFrameChunks(records, 1_000)));
          const frames: Frame[] = await collect(readFrames(split(body, cuts)));
          const decoded = frames
            .filter((f) => f.kind === FrameKind.record)
            .map((f) => (f as { record: StoredRecord }).record);
          expect(decoded.map((r) => [r.key, r.version, Buffer.from(r.value).toString('hex')])).toEqual(
            records.map((r) => [r.key, r.version, Buffer.from(r.value).toString('hex')]),
          );
          expect(frames.at(-1)).toMatchObject({ kind: FrameKind.end, summary: { records: records.length } });
        },
      ),
      { numRuns: 50 },
    );
  });

  it('refuse a truncated stream, an oversized length and an unknown kind', async () => {
    const frame = encodeFrame(FrameKind.record, { key: 'k' });
    await expect(collect(readFrames([frame.subarray(0, frame.length - 1)]))).rejects.toMatchObject({
      code: 'FRAME_INVALID',
    });
    const huge = Buffer.from([0xff, 0xff, 0xff, 0xff, 1]);
    expect(() => new FrameDecoder().push(huge)).toThrow(expect.objectContaining({ code: 'FRAME_INVALID' }));
    expect(() => new FrameDecoder().push(encodeFrame(9, {}))).toThrow(
      expect.objectContaining({ code: 'FRAME_INVALID' }),
    );
  });
});
