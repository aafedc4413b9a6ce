import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataNodeClient } from '@redoubt/cluster-client';
import { freePort } from '@redoubt/local-stack';
import type { StoredRecord } from '@redoubt/records';
import { bucketOf } from '@redoubt/storage';
import { clusterViewOf, reconcilePartition, type AntiEntropyContext } from './index.js';
import { DataNodeCluster, keysInPartition } from './testing/index.js';

let cluster: DataNodeCluster;
let ctx: AntiEntropyContext;

beforeAll(async () => {
  cluster = await DataNodeCluster.start({ nodes: 3, partitions: 8 });
  ctx = { cluster: cluster.view };
});

afterAll(async () => {
  await cluster?.stop();
});

describe('reconcilePartition', () => {
  it('leaves every replica with the newest version of every record, tombstones included', async () => {
    const partition = 1;
    const keys = keysInPartition(partition, 8, 35, 'merge');
    const expected = new Map<string, StoredRecord>();
    const writeAll = async (record: StoredRecord, to: string[]) => {
      await cluster.write(record, to);
      const known = expected.get(record.key);
      if (!known || record.version > known.version) expected.set(record.key, record);
    };
    for (const key of keys.slice(0, 10)) await writeAll(cluster.record(key, `${key}=1`), ['d1', 'd2', 'd3']);
    for (const key of keys.slice(10, 20)) await writeAll(cluster.record(key, `${key}=1`), ['d1', 'd2']); // d3 missed
    for (const key of keys.slice(20, 25)) {
      await writeAll(cluster.record(key, `${key}=old`), ['d1', 'd2', 'd3']);
      await writeAll(cluster.record(key, `${key}=new`), ['d2', 'd3']); // d1 missed the newer write
    }
    for (const key of keys.slice(25, 30)) {
      await writeAll(cluster.record(key, `${key}=live`), ['d1', 'd2', 'd3']);
      await writeAll(cluster.tombstone(key), ['d2']); // deleted; only d2 saw the delete
    }
    for (const key of keys.slice(30, 35)) {
      await writeAll(cluster.tombstone(key), ['d3']); // an old delete on d3...
      await writeAll(cluster.record(key, `${key}=back`), ['d1']); // ...overtaken by a newer write on d1
    }
    expect(await cluster.converged([partition])).toBe(false);

    const report = await reconcilePartition(ctx, { partition });
    expect(report).toMatchObject({ converged: true, unreachable: [], corruptSkipped: 0 });
    expect(report.pushed).toEqual({ d1: 10, d2: 5, d3: 20 });

    for (const node of ['d1', 'd2', 'd3']) {
      const held = await cluster.versions(node, partition);
      expect(held.size).toBe(keys.length);
      for (const [key, record] of expected) expect(held.get(key), `${node} ${key}`).toBe(record.version);
      for (const key of keys.slice(25, 30)) {
        expect((await cluster.node(node).client.get(partition, key))?.tombstone).toBe(true);
      }
      for (const key of keys.slice(30, 35)) {
        expect((await cluster.node(node).client.get(partition, key))?.value.toString()).toBe(`${key}=back`);
      }
    }

    const again = await reconcilePartition(ctx, { partition });
    expect(again).toMatchObject({
      converged: true,
      differingBuckets: 0,
      recordsStreamed: 0,
      pushed: { d1: 0, d2: 0, d3: 0 },
    });
  });

  it('streams only the buckets whose digests differ, from one replica per agreeing group', async () => {
    const partition = 2;
    const keys = keysInPartition(partition, 8, 200, 'buckets');
    await cluster.writeMany(
      keys.map((key) => cluster.record(key, `${key}=1`)),
      ['d1', 'd2', 'd3'],
    );
    const changed = keys[17]!;
    await cluster.write(cluster.record(changed, 'newer'), ['d1']);
    const inBucket = keys.filter((k) => bucketOf(k) === bucketOf(changed)).length;

    const report = await reconcilePartition(ctx, { partition });
    expect(report.buckets).toBe(64);
    expect(report.differingBuckets).toBe(1);
    // one stream from d1 (alone in its group) and one from d2 (speaking for d2 and d3), of that bucket only
    expect(report.recordsStreamed).toBe(2 * inBucket);
    expect(report.pushed).toEqual({ d1: 0, d2: 1, d3: 1 });
    expect(report.converged).toBe(true);
  });

  it('rebuilds a wiped replica from the others, keeping what it took in since', async () => {
    const partition = 3;
    const keys = keysInPartition(partition, 8, 300, 'wipe');
    await cluster.writeMany(
      keys.map((key) => cluster.record(key, Buffer.alloc(512, key.length))),
      ['d1', 'd2', 'd3'],
    );
    await cluster.node('d2').client.dropPartition(partition);
    expect((await cluster.node('d2').client.digest(partition)).records).toBe(0);
    // The wiped node is back in service: it already took a newer write of an old key and a new key.
    const newer = cluster.record(keys[0]!, 'newest, written after the wipe');
    const fresh = cluster.record(keysInPartition(partition, 8, 1, 'after-wipe')[0]!, 'new key');
    await cluster.write(newer, ['d2']);
    await cluster.write(fresh, ['d2']);

    const report = await reconcilePartition(ctx, { partition, maxBatchBytes: 32 * 1024 });
    expect(report.converged).toBe(true);
    expect(report.pushed.d2).toBe(keys.length - 1);
    expect(report.pushed.d1).toBe(2);
    // d1 and d3 agree, so the partition was read once from one of them, not from both (then the two
    // buckets holding what only d2 had, in the second round)
    expect(report.recordsStreamed).toBeLessThan(1.5 * keys.length);
    for (const node of ['d1', 'd2', 'd3']) {
      const client = cluster.node(node).client;
      expect((await client.digest(partition)).records).toBe(keys.length + 1);
      expect((await client.get(partition, keys[0]!))?.version).toBe(newer.version);
    }
  });

  it('leaves out a replica that does not answer, and refuses when fewer than two answer', async () => {
    const partition = 4;
    const ghostPort = await freePort();
    const ghost = new DataNodeClient({
      id: 'ghost',
      url: `http://127.0.0.1:${ghostPort}`,
      clusterToken: cluster.clusterToken,
    });
    const view = clusterViewOf(cluster.matrix, [...cluster.nodes.map((n) => n.client), ghost]);
    const key = keysInPartition(partition, 8, 1, 'ghost')[0]!;
    await cluster.write(cluster.record(key, 'v'), ['d1']);

    const report = await reconcilePartition(
      { cluster: view },
      { partition, replicas: ['d1', 'd2', 'ghost'] },
    );
    expect(report.unreachable).toEqual(['ghost']);
    expect(report.pushed.d2).toBe(1);
    await expect(
      reconcilePartition({ cluster: view }, { partition, replicas: ['d1', 'ghost'] }),
    ).rejects.toMatchObject({
      code: 'REPLICA_UNAVAILABLE',
    });
    await ghost.close();
  });
});
