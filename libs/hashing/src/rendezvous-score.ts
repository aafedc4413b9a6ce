import { loadedHi, loadedLo, loadUint64 } from './uint64-words.js';

/**
 * The rendezvous score of (server, key): MurmurHash3_x86_32, seed 0, over the 16 bytes
 * `le64(serverHash) || le64(keyHash)`. Murmur3 is a well-studied mixer with published test vectors, works in
 * 32-bit integer arithmetic (fast in JS), and its block structure lets the strategy precompute the server half
 * once and mix in the key's two blocks per lookup.
 *
 * The pieces below are exactly Murmur3's block mix, state step and finaliser; the tests check their
 * composition against a full Murmur3 implementation and its published vectors.
 */
const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** Murmur3's per-block mix of one little-endian 32-bit word (depends on the word only, so callers reuse it). */
export function murmurBlock(word: number): number {
  let k = Math.imul(word, C1);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, C2);
}

/** Murmur3's state update with one mixed block. */
export function murmurStep(state: number, mixedBlock: number): number {
  let h = state ^ mixedBlock;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** Murmur3's finaliser for a message of `length` bytes; returns an unsigned 32-bit number. */
export function murmurFinish(state: number, length: number): number {
  let h = state ^ length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Murmur3 state after the server's 8 bytes; the per-server constant part of every score. */
export function serverScorePrefix(serverHash: bigint): number {
  loadUint64(serverHash);
  const hi = loadedHi();
  return murmurStep(murmurStep(0, murmurBlock(loadedLo())), murmurBlock(hi));
}

/** The score of one (server, key) pair, unsigned 32-bit. The strategy inlines this; tests and tools use it. */
export function rendezvousScore(serverHash: bigint, keyHash: bigint): number {
  const prefix = serverScorePrefix(serverHash);
  loadUint64(keyHash);
  const hi = loadedHi();
  return murmurFinish(murmurStep(murmurStep(prefix, murmurBlock(loadedLo())), murmurBlock(hi)), 16);
}
