/** Heap per key of the log engine's key directory: `node --expose-gc --import tsx libs/storage/bench/keydir-memory.ts`. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HybridClock, makeRecord } from '@redoubt/records';
import { partitionOf } from '@redoubt/hashing';
import { RecordStore } from '../src/record-store.js';
const P = 4096,
  N = Number(process.env.N ?? 200_000);
const dir = mkdtempSync(join(tmpdir(), 'keydir-'));
const store = RecordStore.open({ path: dir, partitions: P, engine: 'log' });
const clock = new HybridClock('mem-1');
const value = Buffer.alloc(16, 1);
(globalThis as unknown as { gc(): void }).gc();
const before = process.memoryUsage().heapUsed;
for (let i = 0; i < N; i += 2000) {
  await store.putMany(
    Array.from({ length: 2000 }, (_, j) => {
      const key = `user:${i + j}:profile-${(i + j) * 7919}`;
      return {
        partition: partitionOf(key, P),
        record: makeRecord({
          key,
          value,
          contentType: 'application/octet-stream',
          version: clock.now(),
          tombstone: false,
        }),
      };
    }),
  );
}
(globalThis as unknown as { gc(): void }).gc();
const after = process.memoryUsage().heapUsed;
console.log(
  `keys ${N}, heap per key ${((after - before) / N).toFixed(0)} bytes (key ~${`user:100000:profile-791900000`.length} chars)`,
);
await store.close();
rmSync(dir, { recursive: true, force: true });
