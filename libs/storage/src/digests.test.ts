import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { StoredRecord } from '@redoubt/records';
import type { RecordStore } from './record-store.js';
import {
  partitionOfKey,
  record,
  tempStore,
  tombstone,
  version,
  type TempStore,
} from './testing/store-fixtures.js';

const P = 4;

/**
 * A few long-lived stores instead of fresh ones per property run (creating an LMDB environment costs a
 * synchronous fsync or two): every run writes under its own key prefix, so runs never see each other's
 * keys, while the invariants checked (digest = recompute, equal digests) must hold for the union anyway.
 */
let handles: TempStore[] = [];
let single: RecordStore;
let left: RecordStore;
let right: RecordStore;
let run = 0;

beforeAll(() => {
  handles = [tempStore({ partitions: P }), tempStore({ partitions: P }), tempStore({ partitions: P })];
  [single, left, right] = handles.map((h) => h.store) as [RecordStore, RecordStore, RecordStore];
});
afterAll(async () => {
  await Promise.all(handles.map((h) => h.dispose()));
});

interface Write {
  key: number;
  wall: number;
  writer: string;
  tomb: boolean;
  value: Uint8Array;
}

const writeArb: fc.Arbitrary<Write> = fc.record({
  key: fc.integer({ min: 0, max: 23 }),
  wall: fc.integer({ min: 1, max: 30 }),
  writer: fc.constantFrom('a', 'b', 'c'),
  tomb: fc.boolean(),
  value: fc.uint8Array({ maxLength: 40 }),
});

function toRecord(prefix: string, w: Write): StoredRecord {
  const key = `${prefix}-key-${w.key}`;
  return w.tomb ? tombstone(key, version(w.wall, w.writer)) : record(key, w.value, version(w.wall, w.writer));
}

type Op = { kind: 'put'; write: Write } | { kind: 'drop'; partition: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 20, arbitrary: writeArb.map((write) => ({ kind: 'put' as const, write })) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 0, max: P - 1 }).map((partition) => ({ kind: 'drop' as const, partition })),
  },
);

describe('partition digests', () => {
  it('maintained incrementally always equal a full recompute, over random operation sequences', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { maxLength: 60 }),
        fc.integer({ min: 1, max: 8 }),
        async (ops, concurrency) => {
          const prefix = `run${run++}`;
          // Apply in groups written concurrently, so that groups share transactions.
          for (let i = 0; i < ops.length; i += concurrency) {
            await Promise.all(
              ops.slice(i, i + concurrency).map((op) => {
                if (op.kind === 'drop') return single.dropPartition(op.partition);
                const r = toRecord(prefix, op.write);
                return single.put(partitionOfKey(r.key, P), r);
              }),
            );
          }
          for (let p = 0; p < P; p++) expect(single.digest(p)).toEqual(single.recomputeDigest(p));
          const listed = single.listPartitions();
          for (const summary of listed) {
            const digest = single.digest(summary.partition);
            expect(summary).toEqual({
              partition: summary.partition,
              records: digest.records,
              bytes: digest.bytes,
            });
            expect(summary.records).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('are equal on two stores fed the same records in different orders', async () => {
    // Unique versions per key: a version names exactly one value cluster-wide (the writer's clock makes a
    // new one per write), which is what makes the merge order-independent.
    const writesArb = fc.uniqueArray(writeArb, {
      minLength: 1,
      maxLength: 50,
      selector: (w) => `${w.key}/${w.wall}/${w.writer}`,
    });
    await fc.assert(
      fc.asyncProperty(writesArb, fc.integer(), async (writes, seed) => {
        const prefix = `run${run++}`;
        const records = writes.map((w) => toRecord(prefix, w));
        const shuffled = fc.sample(fc.shuffledSubarray(records, { minLength: records.length }), {
          seed,
          numRuns: 1,
        })[0]!;
        // left: in the given order within one transaction; right: shuffled, as concurrent puts.
        await left.putMany(records.map((r) => ({ partition: partitionOfKey(r.key, P), record: r })));
        await Promise.all(shuffled.map((r) => right.put(partitionOfKey(r.key, P), r)));
        for (let p = 0; p < P; p++) expect(right.digest(p)).toEqual(left.digest(p));
      }),
      { numRuns: 40 },
    );
  });

  it('differ in exactly the bucket that holds a differing record', async () => {
    const prefix = `run${run++}`;
    const keys = Array.from({ length: 24 }, (_, i) => `${prefix}-${i}`);
    const p = partitionOfKey(keys[0]!, P);
    const mine = keys.filter((k) => partitionOfKey(k, P) === p);
    const [a, b] = [tempStore({ partitions: P }), tempStore({ partitions: P })];
    handles.push(a, b);
    for (const key of mine) {
      await a.store.put(p, record(key, 'same', version(1)));
      await b.store.put(p, record(key, 'same', version(1)));
    }
    await b.store.put(p, record(mine[0]!, 'newer', version(2)));
    const da = a.store.digest(p);
    const db = b.store.digest(p);
    expect(da.root).not.toBe(db.root);
    const differing = da.buckets.map((d, i) => (d === db.buckets[i] ? -1 : i)).filter((i) => i >= 0);
    expect(differing).toHaveLength(1);
    expect(da.records).toBe(db.records);
  });
});
