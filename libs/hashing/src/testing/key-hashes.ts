import { hash64 } from '../hash64.js';

/** A fixed sample of real key hashes (`hash64("key-<i>")`), so statistical checks are deterministic. */
export function sampleKeyHashes(count: number, prefix = 'key-'): BigUint64Array {
  const hashes = new BigUint64Array(count);
  for (let i = 0; i < count; i++) hashes[i] = hash64(`${prefix}${i}`);
  return hashes;
}

/** `count` server ids s0, s1, ... */
export function serverIds(count: number, prefix = 's'): { id: string }[] {
  return Array.from({ length: count }, (_, i) => ({ id: `${prefix}${i}` }));
}
