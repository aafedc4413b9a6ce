import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { keysInPartition } from '@redoubt/hashing';
import { formatVersion, makeTombstone, type StoredRecord } from '@redoubt/records';
import { RecordStore } from '../record-store.js';
import { placeKey } from '../storage-keys.js';
import type { RecordStoreOptions, StoreDigest, StoreEngine } from '../storage-types.js';

/** Test support (not exported from the package): temporary stores, versions and records. */

/**
 * The engine the engine-agnostic tests run against: the storage project runs them once per engine
 * (vitest.config.ts sets STORE_ENGINE per test project).
 */
export function testEngine(): StoreEngine {
  return process.env.STORE_ENGINE === 'log' ? 'log' : 'lmdb';
}

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
    store: RecordStore.open({ path: dir, engine: testEngine(), ...options }),
    async reopen(more = {}) {
      await handle.store.close();
      handle.store = RecordStore.open({ path: dir, engine: testEngine(), ...options, ...more });
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

export function everyDigest(store: RecordStore): StoreDigest[] {
  return store.listPartitions().map((p) => store.digest(p.partition));
}

export function everyRecomputed(store: RecordStore): StoreDigest[] {
  return store.listPartitions().map((p) => store.recomputeDigest(p.partition));
}

const crashingWriter = fileURLToPath(new URL('./crashing-writer.ts', import.meta.url));

/** Runs crashing-writer.ts on `dir` (P partitions): what it reported just before its SIGKILL. */
export function crashAfterWriting(
  dir: string,
  partitions: number,
  count: number,
  engine: StoreEngine = 'lmdb',
): { recovery: string; digests: StoreDigest[] } {
  const args = ['--import', 'tsx', crashingWriter, dir, String(partitions), String(count), engine];
  try {
    execFileSync(process.execPath, args, { encoding: 'utf8' });
  } catch (error) {
    const failed = error as { signal?: string; stdout?: string };
    if (failed.signal !== 'SIGKILL') throw error;
    return JSON.parse((failed.stdout ?? '').trim()) as { recovery: string; digests: StoreDigest[] };
  }
  throw new Error('the crashing writer exited without being killed');
}
