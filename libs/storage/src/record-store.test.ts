import { afterEach, describe, expect, it } from 'vitest';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isIntact } from '@redoubt/records';
import { RecordStore } from './record-store.js';
import {
  keysIn,
  partitionOfKey,
  record,
  tempStore,
  tombstone,
  version,
  type TempStore,
  testEngine,
} from './testing/store-fixtures.js';

const P = 8;
let handles: TempStore[] = [];
function open(): TempStore {
  const handle = tempStore({ partitions: P });
  handles.push(handle);
  return handle;
}

afterEach(async () => {
  await Promise.all(handles.map((h) => h.dispose()));
  handles = [];
});

describe('RecordStore reads and writes', () => {
  it('round-trips binary values, content types, unicode keys and empty values', async () => {
    const { store } = open();
    const binary = new Uint8Array(256).map((_, i) => 255 - i);
    const big = Buffer.alloc(1024 * 1024, 7);
    const cases = [
      record('bin', binary, version(1), 'application/octet-stream'),
      record('ключ/🔑', 'привет', version(2), 'text/plain; charset=utf-8'),
      record('empty', new Uint8Array(0), version(3), 'application/x-empty'),
      record('big', big, version(4), 'application/octet-stream'),
    ];
    for (const r of cases) {
      expect(await store.put(partitionOfKey(r.key, P), r)).toEqual({ status: 'applied', current: r.version });
    }
    for (const r of cases) {
      const got = store.get(partitionOfKey(r.key, P), r.key)!;
      expect(Buffer.from(got.value).equals(Buffer.from(r.value))).toBe(true);
      expect(got).toMatchObject({
        key: r.key,
        contentType: r.contentType,
        version: r.version,
        tombstone: false,
      });
      expect(isIntact(got)).toBe(true);
    }
    expect(store.get(partitionOfKey('absent', P), 'absent')).toBeNull();
  });

  it('keeps what was written across a close and reopen', async () => {
    const handle = open();
    const r = record('durable', 'yes', version(10));
    await handle.store.put(partitionOfKey(r.key, P), r);
    const reopened = await handle.reopen();
    expect(reopened.get(partitionOfKey(r.key, P), r.key)?.version).toBe(r.version);
  });

  it('never lets an older version overwrite a newer one, and treats the same version as a no-op', async () => {
    const { store } = open();
    const p = partitionOfKey('k', P);
    await store.put(p, record('k', 'new', version(200)));
    expect(await store.put(p, record('k', 'old', version(100)))).toEqual({
      status: 'stale',
      current: version(200),
    });
    expect(await store.put(p, record('k', 'new', version(200)))).toEqual({
      status: 'stale',
      current: version(200),
    });
    expect(Buffer.from(store.get(p, 'k')!.value).toString()).toBe('new');
    expect(await store.put(p, record('k', 'newer', version(300)))).toEqual({
      status: 'applied',
      current: version(300),
    });
    expect(Buffer.from(store.get(p, 'k')!.value).toString()).toBe('newer');
  });

  it('breaks a tie of clocks by writer id, whatever the arrival order', async () => {
    const a = record('tie', 'from-a', version(500, 'a'));
    const b = record('tie', 'from-b', version(500, 'b'));
    const p = partitionOfKey('tie', P);
    for (const order of [
      [a, b],
      [b, a],
    ]) {
      const { store } = open();
      for (const r of order) await store.put(p, r);
      expect(Buffer.from(store.get(p, 'tie')!.value).toString()).toBe('from-b');
    }
  });

  it('stores tombstones that win over older writes and lose to newer ones', async () => {
    const { store } = open();
    const p = partitionOfKey('gone', P);
    await store.put(p, record('gone', 'v1', version(1)));
    expect((await store.put(p, tombstone('gone', version(2)))).status).toBe('applied');
    expect(store.get(p, 'gone')).toMatchObject({ tombstone: true, version: version(2) });
    expect((await store.put(p, record('gone', 'late', version(1, 'z')))).status).toBe('stale');
    expect(store.get(p, 'gone')?.tombstone).toBe(true);
    expect((await store.put(p, record('gone', 'back', version(3)))).status).toBe('applied');
    expect(store.get(p, 'gone')).toMatchObject({ tombstone: false, version: version(3) });
  });

  it('answers each item of a batch on its own: wrong partition, damaged or malformed records', async () => {
    const { store } = open();
    const good = record('good', 'x', version(1));
    const damaged = { ...record('damaged', 'x', version(1)), checksum: 1 };
    const wrongPartition = (partitionOfKey('misplaced', P) + 1) % P;
    const results = await store.putMany([
      { partition: partitionOfKey('good', P), record: good },
      { partition: wrongPartition, record: record('misplaced', 'x', version(1)) },
      { partition: partitionOfKey('damaged', P), record: damaged },
      { partition: 0, record: { ...good, version: 'not-a-version' } },
      { partition: P, record: good },
    ]);
    expect(results[0]).toEqual({ status: 'applied', current: version(1) });
    expect(results.slice(1).map((r) => (r as { code: string }).code)).toEqual([
      'WRONG_PARTITION',
      'RECORD_CORRUPT',
      'VERSION_INVALID',
      'INVALID_ARGUMENT',
    ]);
    expect(store.get(partitionOfKey('damaged', P), 'damaged')).toBeNull();
    expect(() => store.get(wrongPartition, 'misplaced')).toThrow(
      expect.objectContaining({ code: 'WRONG_PARTITION' }),
    );
  });

  it('keeps the newest version and exact digests under many concurrent writers', async () => {
    const { store } = open();
    const keys = keysIn(3, P, 5);
    const writes = Array.from({ length: 400 }, (_, i) =>
      record(keys[i % keys.length]!, `v${i}`, version(1 + ((i * 7919) % 997), `w${i % 3}`)),
    );
    const outcomes = await Promise.all(writes.map((r) => store.put(3, r)));
    expect(outcomes.every((o) => o.status === 'applied' || o.status === 'stale')).toBe(true);
    for (const key of keys) {
      const newest = writes.filter((w) => w.key === key).reduce((a, b) => (a.version > b.version ? a : b));
      expect(store.get(3, key)?.version).toBe(newest.version);
    }
    expect(store.digest(3)).toEqual(store.recomputeDigest(3));
    expect(store.digest(3).records).toBe(keys.length);
  });

  it('treats its path as a directory even when the name has a dot', async () => {
    const handle = open();
    const dotted = join(handle.dir, 'node.d1');
    const store = RecordStore.open({ path: dotted, partitions: P, engine: testEngine() });
    await store.put(partitionOfKey('k', P), record('k', 'v', version(1)));
    await store.close();
    expect(statSync(dotted).isDirectory()).toBe(true);
    expect(readdirSync(dotted)).toContain(testEngine() === 'log' ? 'log' : 'data.mdb');
  });

  it('refuses a data directory made for another partition count, and calls after close', async () => {
    const handle = open();
    await handle.store.close();
    expect(() => RecordStore.open({ path: handle.dir, partitions: 16, engine: testEngine() })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
    expect(() => handle.store.get(0, 'k')).toThrow(expect.objectContaining({ code: 'STORE_UNAVAILABLE' }));
    await expect(handle.store.put(0, record('k', 'v', version(1)))).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
    });
    handle.store = RecordStore.open({ path: handle.dir, partitions: P, engine: testEngine() });
  });
});
