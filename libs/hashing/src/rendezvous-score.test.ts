import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rendezvousScore } from './rendezvous-score.js';
import { anyUint64 } from './testing/arbitraries.js';

/** A plain, general MurmurHash3_x86_32 over bytes (Austin Appleby's algorithm), as the reference. */
function murmur3x86x32(bytes: Uint8Array, seed: number): number {
  let h = seed >>> 0;
  const blocks = bytes.length >>> 2;
  const mix = (k: number): number => {
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    return Math.imul(k, 0x1b873593);
  };
  for (let i = 0; i < blocks; i++) {
    const o = i * 4;
    h ^= mix(bytes[o]! | (bytes[o + 1]! << 8) | (bytes[o + 2]! << 16) | (bytes[o + 3]! << 24));
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let tail = 0;
  const rest = bytes.length & 3;
  const o = blocks * 4;
  if (rest >= 3) tail ^= bytes[o + 2]! << 16;
  if (rest >= 2) tail ^= bytes[o + 1]! << 8;
  if (rest >= 1) h ^= mix(tail ^ bytes[o]!);
  h ^= bytes.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

function le64(value: bigint): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, value, true);
  return bytes;
}

describe('rendezvous score', () => {
  it('has a Murmur3 reference that reproduces the published MurmurHash3_x86_32 vectors', () => {
    expect(murmur3x86x32(text(''), 0)).toBe(0);
    expect(murmur3x86x32(text(''), 1)).toBe(0x514e28b7);
    expect(murmur3x86x32(text(''), 0xffffffff)).toBe(0x81f16f39);
    expect(murmur3x86x32(new Uint8Array(4), 0)).toBe(0x2362f9de);
    expect(murmur3x86x32(text('abc'), 0)).toBe(0xb3dd93fa);
    expect(murmur3x86x32(text('aaaa'), 0x9747b28c)).toBe(0x5a97808a);
    expect(murmur3x86x32(text('Hello, world!'), 0x9747b28c)).toBe(0x24884cba);
    expect(murmur3x86x32(text('The quick brown fox jumps over the lazy dog'), 0x9747b28c)).toBe(0x2fa826cd);
    expect(murmur3x86x32(text('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'), 0)).toBe(
      0xee925b90,
    );
  });

  it('is MurmurHash3_x86_32(seed 0) of le64(serverHash) || le64(keyHash)', () => {
    const u64 = anyUint64;
    fc.assert(
      fc.property(u64, u64, (serverHash, keyHash) => {
        const message = new Uint8Array(16);
        message.set(le64(serverHash), 0);
        message.set(le64(keyHash), 8);
        expect(rendezvousScore(serverHash, keyHash)).toBe(murmur3x86x32(message, 0));
      }),
      { numRuns: 1000 },
    );
  });
});
