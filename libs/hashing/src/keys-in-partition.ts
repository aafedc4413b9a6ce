import { partitionOf } from './partition-of.js';

/**
 * `count` distinct keys (`<prefix>-0`, `<prefix>-1`, ...) that all hash to `partition`, the same ones every
 * time: for tests and benchmarks that need to fill or aim at one partition. Gives up after trying
 * 50 × count × partitions candidates (about 50 times the expected work), so it always ends.
 */
export function keysInPartition(
  partition: number,
  partitions: number,
  count: number,
  prefix = 'k',
): string[] {
  const keys: string[] = [];
  for (let i = 0; keys.length < count && i < count * partitions * 50; i++) {
    const key = `${prefix}-${i}`;
    if (partitionOf(key, partitions) === partition) keys.push(key);
  }
  return keys;
}
