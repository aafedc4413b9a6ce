import { describe, expect, it } from 'vitest';
import { keysInPartition, partitionOf } from './index.js';

describe('keysInPartition', () => {
  it('returns the asked number of distinct keys, all in the partition, the same every time', () => {
    const keys = keysInPartition(7, 64, 20, 'user');
    expect(keys).toHaveLength(20);
    expect(new Set(keys).size).toBe(20);
    for (const key of keys) expect(partitionOf(key, 64)).toBe(7);
    expect(keysInPartition(7, 64, 20, 'user')).toEqual(keys);
  });
});
