import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keysInPartition } from '@redoubt/hashing';
import { formatVersion, makeTombstone, type StoredRecord } from '@redoubt/records';
import { RecordStore } from '../record-store.js';
import { placeKey } from '../storage-keys.js';
import type { RecordStoreOptions } from '../storage-types.js';

/** Test support (not exported from the package): temporary stores, versions and records. */

export interface TempStore {
  store: RecordStore;
  dir: string;
  reopen(options?: Partial<RecordStoreOptions>): Promise<RecordStore>;
  dispose(): Promise<void>;
}

export function tempStore(options: Partial<RecordStoreOptions> = {}): TempStore {
  const dir = mkdtempSync(join(tmpdir(), 'redoubt-store-'));
  const handle: TempStore = {
    dir,
    store: RecordStore.open({ path: dir, ...options }),
    async reopen(more = {}) {
      await handle.store.close();
      handle.store = RecordStore.open({ path: dir, ...options, ...more });
      return handle.store;
    },
    async dispose() {
      await handle.store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return handle;
}

export function version(wall: number, writer = 'w1', logical = 0): string {
  return formatVersion({ wall, logical, writer });
}

export { testRecord as record } from '@redoubt/records/testing';

export function tombstone(key: string, v: string): StoredRecord {
  return makeTombstone(key, v);
}

export function partitionOfKey(key: string, partitions: number): number {
  return placeKey(key, partitions).partition;
}

/** `count` distinct keys that all belong to `partition`. */
export function keysIn(partition: number, partitions: number, count: number, prefix = 'key'): string[] {
  return keysInPartition(partition, partitions, count, prefix);
}
