import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataNodeClient, StreamEndSummary } from '@redoubt/cluster-client';
import type { StoredRecord } from '@redoubt/records';
import { bucketOf } from '@redoubt/storage';
import { keysIn, record, startDataNode, version, type DataNodeHandle } from './testing/data-node-process.js';

const P = 8;
const PARTITION = 5;
let source: DataNodeHandle;
let target: DataNodeHandle;
let from: DataNodeClient;
let to: DataNodeClient;
let keys: string[];

beforeAll(async () => {
  [source, target] = await Promise.all([
    startDataNode({ id: 'src', partitions: P, testHooks: true }),
    startDataNode({ id: 'dst', partitions: P }),
  ]);
  from = source.client();
  to = target.client();
  keys = keysIn(PARTITION, P, 1_500, 'stream');
  // Values of 0..4 KiB, so the stream spans many chunks and pages.
  await Promise.all(
    keys.map((key, i) =>
      from.put(PARTITION, record(key, Buffer.alloc((i * 37) % 4096, i % 251), version(10 + i))),
    ),
  );
});
afterAll(async () => {
  await Promise.all([source?.dispose(), target?.dispose()]);
});

async function collect(iterable: AsyncIterable<StoredRecord>): Promise<StoredRecord[]> {
  const out: StoredRecord[] = [];
  for await (const r of iterable) out.push(r);
  return out;
}

describe('partition streams between data nodes', () => {
  it('stream a partition out of one node into another until their digests are equal', async () => {
    expect((await to.digest(PARTITION)).records).toBe(0);
    let summary: StreamEndSummary | undefined;
    const result = await to.streamIn(PARTITION, from.streamOut(PARTITION, { onEnd: (s) => (summary = s) }));
    expect(result).toMatchObject({ applied: keys.length, stale: 0, rejected: 0 });
    expect(summary).toMatchObject({ records: keys.length, corrupt: 0 });
    const [a, b] = await Promise.all([from.digest(PARTITION), to.digest(PARTITION)]);
    expect(b).toEqual(a);
    // A second pass changes nothing: merging is idempotent.
    expect(await to.streamIn(PARTITION, from.streamOut(PARTITION))).toMatchObject({
      applied: 0,
      stale: keys.length,
    });
  });

  it('stream only the differing sub-ranges, or only what is newer than a version', async () => {
    const changed = keys.slice(0, 3);
    await Promise.all(changed.map((key) => from.put(PARTITION, record(key, 'changed', version(100_000)))));
    const [a, b] = await Promise.all([from.digest(PARTITION), to.digest(PARTITION)]);
    const differing = a.buckets.map((d, i) => (d === b.buckets[i] ? -1 : i)).filter((i) => i >= 0);
    expect(differing.sort((x, y) => x - y)).toEqual(
      [...new Set(changed.map(bucketOf))].sort((x, y) => x - y),
    );
    const sub = await collect(from.streamOut(PARTITION, { buckets: differing }));
    expect(sub.every((r) => differing.includes(bucketOf(r.key)))).toBe(true);
    expect(await to.streamIn(PARTITION, sub)).toMatchObject({ applied: changed.length });
    expect(await to.digest(PARTITION)).toEqual(await from.digest(PARTITION));

    const newer = await collect(from.streamOut(PARTITION, { since: version(99_999) }));
    expect(newer.map((r) => r.key).sort()).toEqual([...changed].sort());
  });

  it('skip corrupt records when streaming out and say so in the end frame', async () => {
    await from.corruptForTest(PARTITION, keys[10]!);
    let summary: StreamEndSummary | undefined;
    const out = await collect(from.streamOut(PARTITION, { onEnd: (s) => (summary = s) }));
    expect(out).toHaveLength(keys.length - 1);
    expect(summary?.corrupt).toBe(1);
    // The healthy replica heals the damaged one: an intact copy of the same version replaces it.
    const intact = await to.get(PARTITION, keys[10]!);
    expect(await from.put(PARTITION, intact!)).toMatchObject({ status: 'applied' });
    expect((await from.scrub({ partition: PARTITION })).corrupt).toEqual([]);
    // Nodes started without DATA_ENABLE_TEST_HOOKS have no such endpoint.
    await expect(to.corruptForTest(PARTITION, keys[10]!)).rejects.toMatchObject({ code: 'ROUTE_NOT_FOUND' });
  });

  it('let a consumer stop early without harming the node', async () => {
    let n = 0;
    for await (const r of from.streamOut(PARTITION)) {
      expect(r.key).toBeTruthy();
      if (++n === 10) break;
    }
    expect(await from.ready()).toBe(true);
    expect((await from.digest(PARTITION)).records).toBe(keys.length);
  });

  it('reject records of another partition in a stream, per record', async () => {
    const [stray] = keysIn((PARTITION + 1) % P, P, 1, 'stray');
    const result = await to.streamIn(PARTITION, [record(stray!, 'x', version(1))]);
    expect(result).toMatchObject({ applied: 0, rejected: 1 });
  });
});
