/**
 * Placement must be a pure function of its inputs: two monitors that rebalance the same matrix for the same
 * membership must publish the same next epoch. So every "random" choice here comes from a seeded generator.
 */

/** 32-bit FNV-1a of a string: a seed from ids and sizes. */
export function hashString(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Mixes two 32-bit values into a well-spread 32-bit value (murmur3 finaliser). */
export function mix32(a: number, b: number): number {
  let h = (a ^ Math.imul(b, 0x9e3779b1)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** mulberry32: small, fast, good enough to shuffle server orders. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffleInPlace<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = items[i]!;
    items[i] = items[j]!;
    items[j] = tmp;
  }
  return items;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * A visiting order of 0..n-1 that jumps around (start + k*stride mod n, stride coprime to n near n/phi):
 * a full permutation with no memory, so that the rows a rebalance touches are spread over the partition space
 * instead of being one contiguous run.
 */
export function scatteredOrder(n: number, seed: number): { start: number; stride: number } {
  if (n <= 2) return { start: seed % Math.max(n, 1), stride: 1 };
  let stride = Math.max(1, Math.floor(n * 0.6180339887) | 1);
  while (gcd(stride, n) !== 1) stride += 1;
  return { start: seed % n, stride };
}
