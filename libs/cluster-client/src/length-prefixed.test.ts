import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LengthPrefixedSplitter } from './length-prefixed.js';

/** `[u32 BE payload length][payload]`: the plainest format the splitter serves. */
const frameOf = (payload: Uint8Array) => {
  const out = Buffer.alloc(4 + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.set(payload, 4);
  return out;
};
const splitter = () =>
  new LengthPrefixedSplitter((length) => {
    if (length > 10_000) throw new Error(`garbage length ${length}`);
    return 4 + length;
  });

describe('LengthPrefixedSplitter', () => {
  it('gives back the same frames whatever the chunk boundaries, and nothing held at the end', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (payloads, cuts) => {
          const stream = Buffer.concat(payloads.map(frameOf));
          const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
          const s = splitter();
          const frames: Buffer[] = [];
          let at = 0;
          for (const p of [...points, stream.length]) {
            frames.push(...s.push(stream.subarray(at, p)));
            at = p;
          }
          expect(frames.map((f) => f.toString('hex'))).toEqual(
            payloads.map((p) => frameOf(p).toString('hex')),
          );
          expect(s.bufferedBytes).toBe(0);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('holds the bytes of a partial frame, and refuses a garbage length once its 4 bytes are in', () => {
    const s = splitter();
    expect([...s.push(frameOf(Buffer.from('abc')).subarray(0, 5))]).toEqual([]);
    expect(s.bufferedBytes).toBe(5);
    const garbage = Buffer.alloc(4);
    garbage.writeUInt32BE(20_000, 0);
    expect(() => [...splitter().push(garbage)]).toThrow('garbage length 20000');
  });
});
