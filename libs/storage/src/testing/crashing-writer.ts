import type { StoredRecord } from '@redoubt/records';
import { RecordStore } from '../record-store.js';
import { record, tombstone, version } from './store-fixtures.js';

/**
 * Test support: opens the store in argv[2] (P = argv[3], engine argv[5], lmdb by default), writes argv[4] records and tombstones (keys
 * `crash-<i>`, every third one deleted again), prints every partition's digest as one JSON line, then
 * dies by SIGKILL without closing the store: a crash between two writes, as a data node would suffer it.
 */
const [path, partitions, count] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4])];
const store = RecordStore.open({ path, partitions, engine: process.argv[5] === 'log' ? 'log' : 'lmdb' });
const recovery = await store.recovery;
const puts: StoredRecord[] = [];
for (let i = 0; i < count; i++) puts.push(record(`crash-${i}`, `value ${i}`, version(10_000 + i)));
const { placeKey } = await import('../storage-keys.js');
const items = (rs: typeof puts) =>
  rs.map((r) => ({ partition: placeKey(r.key, partitions).partition, record: r }));
await store.putMany(items(puts));
const tombs = puts.filter((_, i) => i % 3 === 0).map((r, i) => tombstone(r.key, version(20_000 + i)));
await store.putMany(items(tombs));
const digests = store.listPartitions().map((p) => store.digest(p.partition));
process.stdout.write(`${JSON.stringify({ recovery: recovery.source, digests })}\n`, () => {
  process.kill(process.pid, 'SIGKILL');
});
