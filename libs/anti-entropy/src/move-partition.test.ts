import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataNodeClient } from '@redoubt/cluster-client';
import { freePort } from '@redoubt/local-stack';
import { clusterViewOf, movePartition, verifyCopy, type AntiEntropyContext } from './index.js';
import { DataNodeCluster, keysInPartition } from './testing/index.js';

let cluster: DataNodeCluster;
let ctx: AntiEntropyContext;
const P = 8;

beforeAll(async () => {
  cluster = await DataNodeCluster.start({ nodes: 4, partitions: P });
  ctx = { cluster: cluster.view };
});

afterAll(async () => {
  await cluster?.stop();
});

/** Fills a partition on its replicas and names a node that does not hold it. */
async function fill(partition: number, count: number) {
  const replicas = cluster.view.replicasOf(partition);
  const outsider = cluster.nodes.map((n) => n.id).find((id) => !replicas.includes(id))!;
  const keys = keysInPartition(partition, P, count, `move${partition}`);
  await cluster.writeMany(
    keys.map((key) => cluster.record(key, `${key}=v`)),
    replicas,
  );
  return { replicas, outsider, keys };
}

describe('movePartition', () => {
  it('copies to the new owner, verifies by digest, and only then drops the old copy', async () => {
    const { replicas, outsider, keys } = await fill(0, 120);
    const [from, ...keep] = replicas as [string, ...string[]];
    const report = await movePartition(ctx, { partition: 0, from, to: outsider, keep });
    expect(report).toMatchObject({ dropped: true, verification: [{ verified: true, by: 'digest' }] });
    expect(report.copy.pushed[outsider]).toBe(keys.length);
    expect((await cluster.node(outsider).client.digest(0)).root).toBe(
      (await cluster.node(keep[0]!).client.digest(0)).root,
    );
    expect((await cluster.node(from).client.digest(0)).records).toBe(0);

    // Idempotent: the same move again (a retry after a crash right after the drop) changes nothing.
    const again = await movePartition(ctx, { partition: 0, from, to: outsider, keep });
    expect(again.dropped).toBe(true);
    expect((await cluster.node(outsider).client.digest(0)).records).toBe(keys.length);
  });

  it('adds a replica (no old owner) and verifies it against every kept replica', async () => {
    const { replicas, outsider, keys } = await fill(1, 50);
    const report = await movePartition(ctx, { partition: 1, from: null, to: outsider, keep: replicas });
    expect(report.dropped).toBe(false);
    expect(report.verification).toHaveLength(replicas.length);
    expect((await cluster.node(outsider).client.digest(1)).records).toBe(keys.length);
  });

  it('never drops when the new owner cannot be written', async () => {
    const { replicas, keys } = await fill(2, 30);
    const ghost = new DataNodeClient({
      id: 'ghost',
      url: `http://127.0.0.1:${await freePort()}`,
      clusterToken: cluster.clusterToken,
      timeoutMs: 1_000,
    });
    const view = clusterViewOf(cluster.matrix, [...cluster.nodes.map((n) => n.client), ghost]);
    const [from, ...keep] = replicas as [string, ...string[]];
    await expect(
      movePartition({ cluster: view }, { partition: 2, from, to: 'ghost', keep }),
    ).rejects.toMatchObject({
      code: 'REPLICA_UNAVAILABLE',
    });
    expect((await cluster.node(from).client.digest(2)).records).toBe(keys.length);
    await ghost.close();
  });
});

describe('verifyCopy', () => {
  it('accepts a copy that holds everything and more (newer writes reached only it), and refuses one that lacks a record', async () => {
    const { replicas, outsider, keys } = await fill(3, 40);
    const source = replicas[0]!;
    await cluster.node(outsider).client.streamIn(3, cluster.node(source).client.streamOut(3));
    expect(await verifyCopy(ctx, 3, outsider, source)).toEqual({ verified: true, by: 'digest' });
    await cluster.write(cluster.record(keys[0]!, 'newer, only on the copy'), [outsider]);
    expect(await verifyCopy(ctx, 3, outsider, source)).toEqual({
      verified: true,
      by: 'containment',
      bucketsChecked: 1,
    });

    const missing = cluster.record(keys[1]!, 'newer, only on the source');
    await cluster.write(missing, [source]);
    expect(await verifyCopy(ctx, 3, outsider, source)).toMatchObject({
      verified: false,
      missing: 1,
      example: keys[1],
    });
  });
});
