import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRedoubtError } from '@redoubt/errors';
import { RecordStore } from './record-store.js';
import { FaultyFileSystem, type DiskFault } from './testing/index.js';
import { keysIn, record, version } from './testing/store-fixtures.js';

const P = 8;
let dirs: string[] = [];
let stores: RecordStore[] = [];
afterEach(async () => {
  await Promise.all(stores.map((s) => s.close()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
  stores = [];
});

function open(dir: string, fileSystem?: FaultyFileSystem, segmentBytes?: number): RecordStore {
  const store = RecordStore.open({ path: dir, partitions: P, engine: 'log', fileSystem, segmentBytes });
  stores.push(store);
  return store;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'redoubt-disk-faults-'));
  dirs.push(dir);
  return dir;
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('the write was acknowledged'),
    (error: unknown) => error,
  );
}

const faults: [string, DiskFault][] = [
  ['fdatasync fails with EIO', { op: 'fsync', code: 'EIO' }],
  ['fdatasync fails with ENOSPC', { op: 'fsync', code: 'ENOSPC' }],
  ['a write fails with EIO', { op: 'write', code: 'EIO' }],
  ['a write comes up short, the disk full (ENOSPC)', { op: 'write', code: 'ENOSPC', short: true }],
];

describe('the log engine when the disk fails', () => {
  it.each(faults)(
    '%s: fails stop, acknowledges nothing it could not flush, recovers after a restart',
    async (_, fault) => {
      const dir = tempDir();
      const disk = new FaultyFileSystem();
      let store = open(dir, disk);
      const keys = keysIn(3, P, 40, 'fault');
      for (let i = 0; i < 20; i++) await store.put(3, record(keys[i]!, `before ${i}`, version(100 + i)));

      disk.fail({ ...fault, times: 1 }); // one failed call is enough: the store cannot trust the cache after it
      // A group of concurrent puts: every one of them is refused, none acknowledged.
      const group = keys
        .slice(20, 30)
        .map((key, i) => store.put(3, record(key, `lost ${i}`, version(200 + i))));
      const errors = await Promise.all(group.map(failure));
      for (const error of errors) {
        expect(isRedoubtError(error, 'STORE_FAILED')).toBe(true);
        const cause = fault.short ? 'short write' : fault.code;
        expect((error as Error).message).toMatch(
          new RegExp(`${cause}.*no more writes until the node restarts`),
        );
      }
      expect(disk.injected).toBe(1);
      // Fail stop: later writes are refused though the disk answers again, the store reports itself not open,
      // and what was durable is still served.
      await expect(store.put(3, record(keys[30]!, 'after', version(300)))).rejects.toMatchObject({
        code: 'STORE_FAILED',
      });
      await expect(store.dropPartition(3)).rejects.toMatchObject({ code: 'STORE_FAILED' });
      expect(store.isOpen()).toBe(false);
      expect(store.get(3, keys[0]!)?.value.toString()).toBe('before 0');

      // Restart (a new process, the disk healthy again): everything acknowledged is there, writes work.
      await store.close();
      store = open(dir);
      for (let i = 0; i < 20; i++) expect(store.get(3, keys[i]!)?.value.toString()).toBe(`before ${i}`);
      expect(store.digest(3)).toEqual(store.recomputeDigest(3));
      await store.put(3, record(keys[30]!, 'after restart', version(400)));
      expect(store.get(3, keys[30]!)?.value.toString()).toBe('after restart');
      expect(store.isOpen()).toBe(true);
    },
  );

  it('a failed flush of a drop marker stops the store rather than leave the drop half known', async () => {
    const dir = tempDir();
    const disk = new FaultyFileSystem();
    let store = open(dir, disk);
    const keys = keysIn(5, P, 10, 'drop');
    for (const [i, key] of keys.entries()) await store.put(5, record(key, `v${i}`, version(10 + i)));
    disk.fail({ op: 'fsync', code: 'EIO', times: 1 }); // the drops file's flush
    await expect(store.dropPartition(5)).rejects.toMatchObject({ code: 'STORE_FAILED' });
    expect(store.isOpen()).toBe(false);
    await expect(store.put(5, record(keys[0]!, 'x', version(99)))).rejects.toMatchObject({
      code: 'STORE_FAILED',
    });
    // After a restart the partition is whole (the marker never replaced the old file) and can be dropped.
    await store.close();
    store = open(dir);
    expect(store.get(5, keys[9]!)?.value.toString()).toBe('v9');
    expect(await store.dropPartition(5)).toBe(10);
    expect(store.get(5, keys[9]!)).toBeNull();
  });

  it('a failed step of compaction (deleting a segment) stops the store; a restart finishes the job', async () => {
    const dir = tempDir();
    const disk = new FaultyFileSystem().fail({ op: 'unlink', code: 'EIO', times: 1 });
    let store = open(dir, disk, 4_096);
    const keys = keysIn(2, P, 4, 'compact');
    // Each write makes an earlier one dead: compaction starts once the sealed segments are mostly dead,
    // relocates their few live frames and deletes them, and the delete fails.
    let refused: unknown;
    for (let i = 0; i < 400 && store.isOpen(); i++) {
      await store
        .put(2, record(keys[i % 4]!, `v${i}`.padEnd(200, '.'), version(1_000 + i)))
        .catch((error: unknown) => {
          refused = error;
        });
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(disk.injected).toBe(1);
    expect(store.isOpen()).toBe(false);
    await expect(store.put(2, record(keys[0]!, 'x', version(5_000)))).rejects.toMatchObject({
      code: 'STORE_FAILED',
      message: expect.stringMatching(/^compaction failed: EIO/),
    });
    expect(refused).toBeUndefined(); // no put was refused: the failure was compaction's
    const acknowledged = keys.map((key) => store.get(2, key)?.version);
    await store.close();
    store = open(dir, undefined, 4_096);
    expect(keys.map((key) => store.get(2, key)?.version)).toEqual(acknowledged);
    expect(store.digest(2)).toEqual(store.recomputeDigest(2));
  });

  it('a disk that fails at open is refused with the error, not half opened', () => {
    const disk = new FaultyFileSystem().fail({ op: 'fsync', code: 'EIO' });
    expect(() => open(tempDir(), disk)).toThrow(/EIO/);
  });
});
