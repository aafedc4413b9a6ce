/** Counts fdatasync per put of the log engine: `strace -f -e trace=fdatasync,write node --import tsx libs/storage/bench/fsync-count.ts`. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HybridClock, makeRecord } from '@redoubt/records';
import { partitionOf } from '@redoubt/hashing';
import { RecordStore } from '../src/record-store.js';
const P = 4096;
const dir = mkdtempSync(join(tmpdir(), 'fsync-'));
const store = RecordStore.open({ path: dir, partitions: P, engine: 'log' });
const clock = new HybridClock('fs-1');
const rec = (key: string) => ({
  partition: partitionOf(key, P),
  record: makeRecord({
    key,
    value: Buffer.from('v'),
    contentType: 'text/plain',
    version: clock.now(),
    tombstone: false,
  }),
});
process.stderr.write('MARK sequential\n');
for (let i = 0; i < 100; i++) await store.putMany([rec(`seq-${i}`)]);
process.stderr.write('MARK concurrent\n');
await Promise.all(Array.from({ length: 1000 }, (_, i) => store.putMany([rec(`con-${i}`)])));
process.stderr.write('MARK end\n');
await store.close();
rmSync(dir, { recursive: true, force: true });
