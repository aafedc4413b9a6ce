/** Open (replay) time of the log engine: `node --import tsx libs/storage/bench/replay-time.ts` (N records, default 500,000). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { partitionOf } from '@redoubt/hashing';
import { HybridClock, makeRecord } from '@redoubt/records';
import { RecordStore } from '../src/record-store.js';

const P = 4096;
const N = Number(process.env.N ?? 500_000);
const dir = mkdtempSync(join(tmpdir(), 'replay-time-'));
const clock = new HybridClock('replay-1');
const value = Buffer.alloc(256, 5);
let store = RecordStore.open({ path: dir, partitions: P, engine: 'log' });
for (let i = 0; i < N; i += 1_000) {
  await store.putMany(
    Array.from({ length: Math.min(1_000, N - i) }, (_, j) => {
      const key = `user:${i + j}:profile`;
      const record = makeRecord({
        key,
        value,
        contentType: 'application/octet-stream',
        version: clock.now(),
        tombstone: false,
      });
      return { partition: partitionOf(key, P), record };
    }),
  );
}
const bytes = Number(store.stats().bytesWritten);
await store.close();
const started = performance.now();
store = RecordStore.open({ path: dir, partitions: P, engine: 'log' });
const recovery = await store.recovery;
const ms = performance.now() - started;
console.log(
  `${recovery.records} records, ${(bytes / 1e6).toFixed(0)} MB of log: open in ${ms.toFixed(0)} ms (${(bytes / 1e6 / (ms / 1000)).toFixed(0)} MB/s)`,
);
await store.close();
rmSync(dir, { recursive: true, force: true });
