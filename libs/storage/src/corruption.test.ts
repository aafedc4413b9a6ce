import { afterEach, describe, expect, it } from 'vitest';
import { corruptRecordForTest } from './corrupt-for-test.js';
import type { RecordStore } from './record-store.js';
import { keysIn, record, tempStore, tombstone, version, type TempStore } from './testing/store-fixtures.js';

const P = 4;
let handle: TempStore | undefined;
const corruptSeen: string[] = [];

function open(): TempStore {
  handle = tempStore({ partitions: P, observer: { corrupt: (_p, key) => corruptSeen.push(key) } });
  return handle;
}

afterEach(async () => {
  await handle?.dispose();
  handle = undefined;
  corruptSeen.length = 0;
});

async function collect(store: RecordStore, partition: number) {
  const items = [];
  for await (const item of store.scan(partition)) items.push(item);
  return items;
}

describe('corrupt records', () => {
  it('are reported on read, in scans and by scrub, and never served', async () => {
    const { store } = open();
    const [bad, good] = keysIn(1, P, 2);
    await store.put(1, record(bad!, 'precious', version(5)));
    await store.put(1, record(good!, 'fine', version(5)));
    await corruptRecordForTest(store, 1, bad!);

    expect(() => store.get(1, bad!)).toThrow(expect.objectContaining({ code: 'RECORD_CORRUPT' }));
    expect(corruptSeen).toContain(bad);
    const items = await collect(store, 1);
    expect(items.filter((i) => i.record).map((i) => i.record!.key)).toEqual([good]);
    expect(items.filter((i) => i.corruptKey).map((i) => i.corruptKey)).toEqual([bad]);
    expect(await store.scrub()).toEqual({ checked: 2, corrupt: [{ partition: 1, key: bad }] });
    expect(await store.scrub({ partition: 0 })).toEqual({ checked: 0, corrupt: [] });
  });

  it('are replaced by an intact copy of any version, even the same one, without disturbing digests', async () => {
    const { store } = open();
    const [key] = keysIn(2, P, 1);
    const original = record(key!, 'v5', version(5));
    await store.put(2, original);
    const before = store.digest(2);

    await corruptRecordForTest(store, 2, key!);
    expect(await store.put(2, original)).toEqual({ status: 'applied', current: version(5) });
    expect(Buffer.from(store.get(2, key!)!.value).toString()).toBe('v5');
    expect(store.digest(2)).toEqual(before);

    await corruptRecordForTest(store, 2, key!);
    expect(await store.put(2, record(key!, 'v3', version(3)))).toEqual({
      status: 'applied',
      current: version(3),
    });
    expect(store.get(2, key!)?.version).toBe(version(3));
    expect(store.digest(2)).toEqual(store.recomputeDigest(2));
    expect((await store.scrub()).corrupt).toEqual([]);
  });

  it('can be made through the store directory while it is closed, and tombstones can be damaged too', async () => {
    const handle = open();
    const [key, gone] = keysIn(0, P, 2);
    await handle.store.put(0, record(key!, 'x', version(1)));
    await handle.store.put(0, tombstone(gone!, version(1)));
    await handle.store.close();
    await corruptRecordForTest(handle.dir, 0, key!, { partitions: P });
    await corruptRecordForTest(handle.dir, 0, gone!, { partitions: P });
    const store = await handle.reopen();
    expect(() => store.get(0, key!)).toThrow(expect.objectContaining({ code: 'RECORD_CORRUPT' }));
    expect(() => store.get(0, gone!)).toThrow(expect.objectContaining({ code: 'RECORD_CORRUPT' }));
    await expect(corruptRecordForTest(store, 0, 'absent-key-' + keysIn(0, P, 3)[2])).rejects.toBeTruthy();
  });

  it('with a damaged header are healed exactly: their bucket is recounted when they are replaced or dropped', async () => {
    const { store } = open();
    const keys = keysIn(3, P, 40);
    await store.putMany(keys.map((key, i) => ({ partition: 3, record: record(key, `v${i}`, version(10)) })));
    const before = store.digest(3);

    await corruptRecordForTest(store, 3, keys[0]!, { part: 'header' });
    expect(() => store.get(3, keys[0]!)).toThrow(expect.objectContaining({ code: 'RECORD_CORRUPT' }));
    expect((await store.scrub({ partition: 3 })).corrupt).toEqual([{ partition: 3, key: keys[0] }]);
    expect(await store.put(3, record(keys[0]!, 'v0', version(10)))).toMatchObject({ status: 'applied' });
    expect(store.digest(3)).toEqual(before);

    await corruptRecordForTest(store, 3, keys[1]!, { part: 'header' });
    expect(await store.put(3, record(keys[1]!, 'newer', version(11)))).toMatchObject({ status: 'applied' });
    expect(store.digest(3)).toEqual(store.recomputeDigest(3));

    await corruptRecordForTest(store, 3, keys[2]!, { part: 'header' });
    expect(await store.dropPartition(3)).toBe(40);
    expect(store.digest(3)).toMatchObject({ records: 0, bytes: 0 });
    expect(store.listPartitions()).toEqual([]);
  });
});
