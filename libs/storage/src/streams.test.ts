import { afterEach, describe, expect, it } from 'vitest';
import type { StoredRecord } from '@redoubt/records';
import type { RecordStore } from './record-store.js';
import { BUCKETS, bucketOf } from './storage-keys.js';
import { keysIn, record, tempStore, tombstone, version, type TempStore } from './testing/store-fixtures.js';

const P = 4;
let handles: TempStore[] = [];
afterEach(async () => {
  await Promise.all(handles.map((h) => h.dispose()));
  handles = [];
});
function open(): RecordStore {
  const handle = tempStore({ partitions: P });
  handles.push(handle);
  return handle.store;
}

async function records(
  iterable: AsyncIterable<{ record?: StoredRecord; corruptKey?: string }>,
): Promise<StoredRecord[]> {
  const out: StoredRecord[] = [];
  for await (const item of iterable) if (item.record) out.push(item.record);
  return out;
}

async function fill(store: RecordStore, partition: number, count: number): Promise<string[]> {
  const keys = keysIn(partition, P, count);
  await store.putMany(
    keys.map((key, i) => ({
      partition,
      record: i % 10 === 9 ? tombstone(key, version(1 + i)) : record(key, `value-${i}`, version(1 + i)),
    })),
  );
  return keys;
}

describe('partition scans', () => {
  it('stream a whole partition out in bucket then key order, page by page, and into another store', async () => {
    const source = open();
    const target = open();
    const keys = await fill(source, 2, 300);
    await fill(source, 1, 20);
    const out = await records(source.scan(2, { pageSize: 7 }));
    expect(out.map((r) => r.key).sort()).toEqual([...keys].sort());
    const order = out.map((r) => [bucketOf(r.key), Buffer.from(r.key)] as const);
    for (let i = 1; i < order.length; i++) {
      const [b0, k0] = order[i - 1]!;
      const [b1, k1] = order[i]!;
      expect(b0 < b1 || (b0 === b1 && Buffer.compare(k0, k1) < 0)).toBe(true);
    }
    const results = await target.putMany(out.map((r) => ({ partition: 2, record: r })));
    expect(results.every((r) => 'status' in r && r.status === 'applied')).toBe(true);
    expect(target.digest(2)).toEqual(source.digest(2));
    expect(target.digest(1).records).toBe(0);
  });

  it('stream chosen sub-ranges only, and records newer than a version only', async () => {
    const source = open();
    const keys = await fill(source, 0, 200);
    const chosen = [3, 17, 40];
    const sub = await records(source.scan(0, { buckets: chosen, pageSize: 2 }));
    expect(sub.map((r) => r.key).sort()).toEqual(keys.filter((k) => chosen.includes(bucketOf(k))).sort());

    const since = version(150);
    const newer = await records(source.scan(0, { since, pageSize: 9 }));
    expect(newer.map((r) => r.key).sort()).toEqual(keys.slice(150).sort());
    expect(newer.every((r) => r.version > since)).toBe(true);

    await expect(records(source.scan(0, { buckets: [BUCKETS] }))).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  it('bring a stale replica up to date: merging a stream never overwrites newer records', async () => {
    const source = open();
    const target = open();
    const [k1, k2] = keysIn(3, P, 2);
    await source.put(3, record(k1!, 'old', version(1)));
    await source.put(3, record(k2!, 'src', version(5)));
    await target.put(3, record(k1!, 'newer-on-target', version(9)));
    const results = await target.putMany(
      (await records(source.scan(3))).map((r) => ({ partition: 3, record: r })),
    );
    expect(results.map((r) => ('status' in r ? r.status : r.code)).sort()).toEqual(['applied', 'stale']);
    expect(Buffer.from(target.get(3, k1!)!.value).toString()).toBe('newer-on-target');
    expect(target.get(3, k2!)?.version).toBe(version(5));
  });
});

describe('dropPartition', () => {
  it('removes every record of one partition in bounded chunks and leaves the others alone', async () => {
    const store = open();
    await fill(store, 1, 2_500);
    await fill(store, 2, 30);
    const before2 = store.digest(2);
    expect(await store.dropPartition(1)).toBe(2_500);
    expect(store.digest(1)).toMatchObject({ records: 0, bytes: 0 });
    expect(store.digest(1)).toEqual(store.recomputeDigest(1));
    expect(await records(store.scan(1))).toEqual([]);
    expect(store.listPartitions().map((s) => s.partition)).toEqual([2]);
    expect(store.digest(2)).toEqual(before2);
    expect(await store.dropPartition(1)).toBe(0);
  });
});
