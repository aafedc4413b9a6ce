import { afterEach, describe, expect, it } from 'vitest';
import { RecordStore } from './record-store.js';
import {
  crashAfterWriting,
  everyDigest,
  everyRecomputed,
  partitionOfKey,
  record,
  tempStore,
  tombstone,
  version,
  type TempStore,
} from './testing/store-fixtures.js';

const P = 8;
let handles: TempStore[] = [];
afterEach(async () => {
  await Promise.all(handles.map((h) => h.dispose()));
  handles = [];
});

describe('RecordStore aggregates across restarts', () => {
  it('reopens from the checkpoint a clean close wrote, with the same digests', async () => {
    const handle = tempStore({ partitions: P });
    handles.push(handle);
    for (let i = 0; i < 200; i++) {
      const r = record(`clean-${i}`, `v${i}`, version(1_000 + i));
      await handle.store.put(partitionOfKey(r.key, P), r);
    }
    const before = everyDigest(handle.store);
    expect((await handle.store.recovery).source).toBe('rebuilt'); // a new store has nothing to load

    const reopened = await handle.reopen();
    expect(await reopened.recovery).toMatchObject({ source: 'checkpoint', records: 200 });
    expect(everyDigest(reopened)).toEqual(before);
    expect(everyDigest(reopened)).toEqual(everyRecomputed(reopened));
  });

  it('recounts the aggregates from the records after a crash, so digests stay exact', async () => {
    const handle = tempStore({ partitions: P });
    handles.push(handle);
    const r = record('before-crash', 'x', version(1));
    await handle.store.put(partitionOfKey(r.key, P), r);
    await handle.store.close(); // a clean close: the writer below loads its checkpoint, then crashes

    const crashed = crashAfterWriting(handle.dir, P, 300);
    expect(crashed.recovery).toBe('checkpoint');

    handle.store = RecordStore.open({ path: handle.dir, partitions: P });
    // The checkpoint the writer loaded must not be trusted again: its marker went before its first write.
    expect(await handle.store.recovery).toMatchObject({ source: 'rebuilt', records: 301 });
    expect(everyDigest(handle.store)).toEqual(crashed.digests.sort((a, b) => a.partition - b.partition));
    expect(everyDigest(handle.store)).toEqual(everyRecomputed(handle.store));
  });

  it('serves records while it recounts after a crash, and ends with exact digests, writes meanwhile included', async () => {
    const handle = tempStore({ partitions: P });
    handles.push(handle);
    await handle.store.close();
    crashAfterWriting(handle.dir, P, 1_500);

    // One record per event-loop turn, so the walk is still going while the writes below are applied.
    handle.store = RecordStore.open({ path: handle.dir, partitions: P, recountChunk: 1 });
    const store = handle.store;
    expect(store.isRecounting()).toBe(true);
    expect(() => store.digest(0)).toThrow(expect.objectContaining({ code: 'STORE_UNAVAILABLE' }));
    expect(() => store.listPartitions()).toThrow(expect.objectContaining({ code: 'STORE_UNAVAILABLE' }));
    expect(store.get(partitionOfKey('crash-1', P), 'crash-1')?.value.toString()).toBe('value 1');

    // Overwrites (of records the walk may or may not have passed), deletes, new keys, one at a time.
    let appliedDuringWalk = 0;
    for (let i = 0; i < 60; i++) {
      const key = i % 3 === 2 ? `new-${i}` : `crash-${i * 7}`;
      const r =
        i % 5 === 4 ? tombstone(key, version(50_000 + i)) : record(key, `during ${i}`, version(50_000 + i));
      await store.put(partitionOfKey(key, P), r);
      if (store.isRecounting()) appliedDuringWalk++;
    }
    expect(appliedDuringWalk).toBeGreaterThan(0);

    const recovery = await store.recovery;
    expect(recovery.source).toBe('rebuilt');
    expect(recovery.records).toBeGreaterThanOrEqual(1_500); // counted when the walk ended
    expect(store.isRecounting()).toBe(false);
    expect(store.totalsAll().records).toBe(1_500 + 20);
    expect(everyDigest(store)).toEqual(everyRecomputed(store));
    expect(store.get(partitionOfKey('new-2', P), 'new-2')?.value.toString()).toBe('during 2');

    // Whole now: a clean close checkpoints them and the next open loads that.
    const reopened = await handle.reopen();
    expect(await reopened.recovery).toMatchObject({ source: 'checkpoint', records: 1_520 });
  });

  it('does not checkpoint aggregates whose recount a close interrupted', async () => {
    const handle = tempStore({ partitions: P });
    handles.push(handle);
    await handle.store.close();
    crashAfterWriting(handle.dir, P, 600);
    handle.store = RecordStore.open({ path: handle.dir, partitions: P, recountChunk: 1 });
    const recovery = handle.store.recovery;
    await handle.store.close();
    expect(await recovery).toMatchObject({ interrupted: true });

    handle.store = RecordStore.open({ path: handle.dir, partitions: P });
    expect(await handle.store.recovery).toMatchObject({ source: 'rebuilt', records: 600 });
    expect(everyDigest(handle.store)).toEqual(everyRecomputed(handle.store));
  });

  it('refuses writes queued after the closing checkpoint instead of leaving it stale', async () => {
    const handle = tempStore({ partitions: P });
    handles.push(handle);
    const keep = record('kept', 'x', version(1));
    await handle.store.put(partitionOfKey(keep.key, P), keep);
    const closing = handle.store.close();
    const late = record('late', 'y', version(2));
    await expect(handle.store.put(partitionOfKey(late.key, P), late)).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
    });
    await closing;
    const reopened = await handle.reopen();
    expect((await reopened.recovery).source).toBe('checkpoint');
    expect(reopened.get(partitionOfKey(late.key, P), 'late')).toBeNull();
    expect(everyDigest(reopened)).toEqual(everyRecomputed(reopened));
  });
});
