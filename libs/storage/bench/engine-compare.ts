/**
 * CPU per put of the two engines, store only (no HTTP): 28-put batches of 256-byte values over 10,000
 * preloaded keys, two batches in flight, interleaved rounds. Not a timed test: run it by hand,
 * `node --import tsx libs/storage/bench/engine-compare.ts` (BENCH_MS per run, default 5000).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { partitionOf } from '@redoubt/hashing';
import { HybridClock, makeRecord, type StoredRecord } from '@redoubt/records';
import { RecordStore } from '../src/record-store.js';
import type { PutItem, StoreEngine } from '../src/storage-types.js';

const P = 4096;
const KEYS = 10_000;
const BATCH = 28;
const MS = Number(process.env.BENCH_MS ?? 5_000);
const clock = new HybridClock('bench-1');
const keys = Array.from({ length: KEYS }, (_, i) => `key-${i}-${(i * 2654435761) % 1e9}`);
const value = Buffer.alloc(256, 7);
const item = (key: string): PutItem => ({ partition: partitionOf(key, P), record: recordOf(key) });
const recordOf = (key: string): StoredRecord =>
  makeRecord({ key, value, contentType: 'application/octet-stream', version: clock.now(), tombstone: false });

async function measure(engine: StoreEngine): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'engine-compare-'));
  const store = RecordStore.open({ path: dir, partitions: P, engine });
  try {
    for (let i = 0; i < KEYS; i += 500) await store.putMany(keys.slice(i, i + 500).map(item));
    const cpu = process.cpuUsage();
    const started = performance.now();
    let batches = 0;
    const lane = async () => {
      while (performance.now() - started < MS) {
        await store.putMany(Array.from({ length: BATCH }, () => item(keys[(Math.random() * KEYS) | 0]!)));
        batches++;
      }
    };
    await Promise.all([lane(), lane()]);
    const used = process.cpuUsage(cpu);
    const puts = batches * BATCH;
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `${engine.padEnd(4)} ${Math.round(puts / seconds)} puts/s, CPU per put ${((used.user + used.system) / puts).toFixed(1)} µs` +
        ` (user ${(used.user / puts).toFixed(1)}, system ${(used.system / puts).toFixed(1)})`,
    );
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

for (let round = 0; round < 2; round++) for (const engine of ['lmdb', 'log'] as const) await measure(engine);
