import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hash64 } from './hash64.js';
import { anyString } from './testing/arbitraries.js';
import { expectRedoubtError } from './testing/expect-redoubt-error.js';

const utf8 = new TextEncoder();

/** The byte sequence of xxHash's own sanity check (cli/xsum_sanity_check.c): top byte of a PRIME64 LCG. */
function xxhashSanityBuffer(length: number): Uint8Array {
  const buffer = new Uint8Array(length);
  let generator = 2654435761n;
  for (let i = 0; i < length; i++) {
    buffer[i] = Number(generator >> 56n);
    generator = (generator * 11400714785074694797n) & 0xffff_ffff_ffff_ffffn;
  }
  return buffer;
}

describe('hash64', () => {
  it('is XXH64 with seed 0: published vectors for "", "abc" and the python-xxhash example', () => {
    expect(hash64('')).toBe(0xef46db3751d8e999n);
    expect(hash64('abc')).toBe(0x44bc2cf5ad770999n);
    expect(hash64('Nobody inspects the spammish repetition')).toBe(0xfbcea83c8a378bf1n);
  });

  it("matches xxHash's official sanity vectors (seed 0) for 0, 1, 4, 14 and 222 bytes", () => {
    const buffer = xxhashSanityBuffer(222);
    expect(hash64(buffer.subarray(0, 0))).toBe(0xef46db3751d8e999n);
    expect(hash64(buffer.subarray(0, 1))).toBe(0xe934a84adb052768n);
    expect(hash64(buffer.subarray(0, 4))).toBe(0x9136a0dca57457een);
    expect(hash64(buffer.subarray(0, 14))).toBe(0x8282dcc4994e35c8n);
    expect(hash64(buffer)).toBe(0xb641ae8cb691c174n);
  });

  it('stays pinned for redoubt keys, including non-ASCII ones (changing these re-homes every key)', () => {
    expect(hash64('user:42')).toBe(0xdc1fea7da8d2d1c2n);
    expect(hash64('orders/2024/11/21/0001')).toBe(0x73f181e8532582cbn);
    expect(hash64('καλημέρα')).toBe(0xfe5d540c3b40bd52n);
    expect(hash64('🔑')).toBe(0xc4d05680da87af01n);
  });

  it('hashes a string exactly like its UTF-8 bytes, for any string', () => {
    fc.assert(
      fc.property(anyString(100), (key) => {
        expect(hash64(key)).toBe(hash64(utf8.encode(key)));
      }),
      { numRuns: 200 },
    );
  });

  it('treats a lone surrogate as U+FFFD, as TextEncoder does', () => {
    expect(hash64('a\ud800b')).toBe(hash64('a\ufffdb'));
    expect(hash64('a\ud800b')).toBe(hash64(utf8.encode('a\ud800b')));
  });

  it('is deterministic and unsigned 64-bit for any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const first = hash64(bytes);
        expect(hash64(Uint8Array.from(bytes))).toBe(first);
        expect(first >= 0n && first < 2n ** 64n).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('hashes only the bytes of a view, not the rest of its buffer (Buffer slices, subarrays)', () => {
    const whole = Buffer.from('prefix|user:42|suffix');
    expect(hash64(whole.subarray(7, 14))).toBe(hash64('user:42'));
  });

  it('rejects a key that is neither a string nor a Uint8Array with INVALID_ARGUMENT', () => {
    for (const bad of [42, null, undefined, {}, [1, 2], new Uint16Array(2)]) {
      expectRedoubtError(() => hash64(bad as unknown as string), 'INVALID_ARGUMENT');
    }
  });
});
