import { describe, expect, it } from 'vitest';
import { formatVersion, makeRecord, makeTombstone, type StoredRecord } from '@redoubt/records';
import { planMerge } from './version-merge.js';
import { planBucketBatches, type ReplicaDigest } from './bucket-batches.js';

const v = (wall: number, writer = 'gw1') => formatVersion({ wall, logical: 0, writer });
const put = (key: string, wall: number, value = `${key}@${wall}`): StoredRecord =>
  makeRecord({
    key,
    value: Buffer.from(value),
    contentType: 'text/plain',
    version: v(wall),
    tombstone: false,
  });

describe('planMerge', () => {
  it('sends each group only the newest version of what it lacks or holds older', () => {
    const a = [put('k1', 10), put('k2', 20), put('k3', 30)];
    const b = [put('k1', 11), put('k2', 20)];
    const plan = planMerge([
      { members: ['d1'], records: a },
      { members: ['d2', 'd3'], records: b },
    ]);
    expect(plan.keys).toBe(3);
    expect(plan.pushes[0]!.map((r) => `${r.key}@${r.version}`)).toEqual([`k1@${v(11)}`]);
    expect(plan.pushes[1]!.map((r) => `${r.key}@${r.version}`)).toEqual([`k3@${v(30)}`]);
  });

  it('lets a newer tombstone win over an older write and an older tombstone lose to a newer write', () => {
    const plan = planMerge([
      { members: ['d1'], records: [put('gone', 10), makeTombstone('back', v(10))] },
      { members: ['d2'], records: [makeTombstone('gone', v(20)), put('back', 20)] },
    ]);
    expect(plan.pushes[0]!.map((r) => [r.key, r.tombstone])).toEqual([
      ['gone', true],
      ['back', false],
    ]);
    expect(plan.pushes[1]).toEqual([]);
  });

  it('breaks equal clocks by writer id, the same way on every run', () => {
    const x = makeRecord({
      key: 'k',
      value: Buffer.from('x'),
      contentType: 'a/b',
      version: v(5, 'gwA'),
      tombstone: false,
    });
    const y = makeRecord({
      key: 'k',
      value: Buffer.from('y'),
      contentType: 'a/b',
      version: v(5, 'gwB'),
      tombstone: false,
    });
    const one = planMerge([
      { members: ['d1'], records: [x] },
      { members: ['d2'], records: [y] },
    ]);
    const two = planMerge([
      { members: ['d2'], records: [y] },
      { members: ['d1'], records: [x] },
    ]);
    expect(one.pushes[0]![0]!.value.toString()).toBe('y');
    expect(two.pushes[1]![0]!.value.toString()).toBe('y');
  });

  it('never copies a record that fails its checksum', () => {
    const rotten = { ...put('k', 50), value: Buffer.from('bit rot') };
    const plan = planMerge([
      { members: ['d1'], records: [rotten] },
      { members: ['d2'], records: [put('k', 10)] },
    ]);
    expect(plan.corrupt).toEqual([{ node: 'd1', key: 'k' }]);
    expect(plan.pushes[1]).toEqual([]);
    expect(plan.pushes[0]!.map((r) => r.version)).toEqual([v(10)]);
  });
});

const digest = (node: string, buckets: string[], bytes = 1_000): ReplicaDigest => ({
  node,
  digest: { partition: 0, root: buckets.join(''), buckets, records: 10, bytes },
});

describe('planBucketBatches', () => {
  it('plans nothing when the roots are equal', () => {
    expect(planBucketBatches([digest('d1', ['a', 'b']), digest('d2', ['a', 'b'])], 1 << 20)).toEqual({
      differing: [],
      batches: [],
    });
  });

  it('keeps only differing buckets and streams one replica per group of agreeing replicas', () => {
    const plan = planBucketBatches(
      [
        digest('d1', ['a', 'b', 'c', 'd']),
        digest('d2', ['a', 'b', 'c', 'd']),
        digest('d3', ['a', 'x', 'c', 'y']),
      ],
      1 << 20,
    );
    expect(plan.differing).toEqual([1, 3]);
    expect(plan.batches).toEqual([
      { buckets: [1, 3], groups: [{ members: ['d1', 'd2'] }, { members: ['d3'] }], estimatedBytes: 500 },
    ]);
  });

  it('batches buckets by how the replicas split over them', () => {
    const plan = planBucketBatches(
      [digest('d1', ['a', 'b', 'c']), digest('d2', ['a', 'x', 'c2']), digest('d3', ['a2', 'x', 'c'])],
      1 << 20,
    );
    expect(plan.differing).toEqual([0, 1, 2]);
    expect(plan.batches.map((b) => [b.buckets, b.groups.map((g) => g.members.join('+'))])).toEqual([
      [[0], ['d1+d2', 'd3']],
      [[1], ['d1', 'd2+d3']],
      [[2], ['d1+d3', 'd2']],
    ]);
  });

  it('cuts a big rebuild into batches of about the requested size', () => {
    const full = Array.from({ length: 64 }, (_, i) => `h${i}`);
    const empty = Array.from({ length: 64 }, () => '0');
    const plan = planBucketBatches([digest('d1', full, 64 << 20), digest('d2', empty, 0)], 8 << 20);
    expect(plan.differing).toHaveLength(64);
    expect(plan.batches).toHaveLength(8);
    expect(plan.batches.every((b) => b.buckets!.length === 8 && b.estimatedBytes === 8 << 20)).toBe(true);
  });

  it('falls back to whole-partition streams when replicas disagree on the bucket layout', () => {
    const plan = planBucketBatches([digest('d1', ['a', 'b']), digest('d2', ['a', 'b', 'c'])], 1 << 20);
    expect(plan.batches).toEqual([
      { buckets: undefined, groups: [{ members: ['d1'] }, { members: ['d2'] }], estimatedBytes: 1_000 },
    ]);
  });
});
