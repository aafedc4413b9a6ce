import { isRedoubtError } from '@redoubt/errors';
import { describe, expect, it } from 'vitest';
import { build, rebalance, validate } from './index.js';

const three = [
  { id: 'a', zone: 'z1', weight: 1 },
  { id: 'b', zone: 'z2', weight: 1 },
  { id: 'c', zone: 'z3', weight: 1 },
];

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return isRedoubtError(error) ? error.code : `not a RedoubtError: ${String(error)}`;
  }
  return undefined;
}

describe('bad input gets a typed error naming the problem', () => {
  it('rejects more replicas than servers', () => {
    expect(codeOf(() => build(three, { replicas: 4 }))).toBe('PLACEMENT_REPLICAS_EXCEED_SERVERS');
    expect(codeOf(() => build([], { replicas: 1 }))).toBe('PLACEMENT_REPLICAS_EXCEED_SERVERS');
    const m = build(three, { partitions: 8 });
    expect(codeOf(() => rebalance(m, three.slice(0, 2)))).toBe('PLACEMENT_REPLICAS_EXCEED_SERVERS');
  });

  it('rejects zero, negative and non-finite weights', () => {
    for (const weight of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      const servers = [...three.slice(0, 2), { id: 'c', zone: 'z3', weight }];
      expect(codeOf(() => build(servers))).toBe('PLACEMENT_BAD_WEIGHT');
    }
  });

  it('rejects duplicate server ids, also in a rebalance and a validation', () => {
    const servers = [...three, { id: 'b', zone: 'z4', weight: 1 }];
    expect(codeOf(() => build(servers))).toBe('PLACEMENT_DUPLICATE_SERVER');
    const m = build(three, { partitions: 8 });
    expect(codeOf(() => rebalance(m, servers))).toBe('PLACEMENT_DUPLICATE_SERVER');
    expect(codeOf(() => validate(m, servers))).toBe('PLACEMENT_DUPLICATE_SERVER');
  });

  it('rejects a partition count that is not a positive integer', () => {
    for (const partitions of [0, -4, 2.5, Number.NaN, 1 << 30]) {
      expect(codeOf(() => build(three, { partitions }))).toBe('PLACEMENT_BAD_PARTITIONS');
    }
  });

  it('rejects a replica count or epoch that is not an integer, and malformed servers', () => {
    expect(codeOf(() => build(three, { replicas: 0 }))).toBe('PLACEMENT_INVALID');
    expect(codeOf(() => build(three, { replicas: 1.5 }))).toBe('PLACEMENT_INVALID');
    expect(codeOf(() => build(three, { epoch: -1 }))).toBe('PLACEMENT_INVALID');
    expect(codeOf(() => build([{ id: '', zone: 'z', weight: 1 }], { replicas: 1 }))).toBe(
      'PLACEMENT_INVALID',
    );
    expect(codeOf(() => build('abc' as never))).toBe('PLACEMENT_INVALID');
  });

  it('says which server is wrong', () => {
    try {
      build([...three, { id: 'd', zone: 'z4', weight: 0 }]);
      expect.unreachable();
    } catch (error) {
      expect(isRedoubtError(error, 'PLACEMENT_BAD_WEIGHT')).toBe(true);
      expect((error as Error).message).toContain('d');
      expect((error as { details: unknown }).details).toMatchObject({ server: 'd', weight: 0 });
    }
  });
});
