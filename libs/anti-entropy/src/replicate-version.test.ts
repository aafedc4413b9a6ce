import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataNodeClient } from '@redoubt/cluster-client';
import { freePort } from '@redoubt/local-stack';
import { clusterViewOf, replicateVersion, type AntiEntropyContext } from './index.js';
import { DataNodeCluster, keysInPartition } from './testing/index.js';

let cluster: DataNodeCluster;
let ctx: AntiEntropyContext;
const moved: number[] = [];

beforeAll(async () => {
  cluster = await DataNodeCluster.start({ nodes: 3, partitions: 8 });
  ctx = { cluster: cluster.view, observer: { moved: (records) => moved.push(records) } };
});

afterAll(async () => {
  await cluster?.stop();
});

const keyIn = (partition: number, prefix: string) => keysInPartition(partition, 8, 1, prefix)[0]!;

describe('replicateVersion', () => {
  it('copies the version to the replica that missed it; running it again changes nothing', async () => {
    const key = keyIn(0, 'handoff');
    const record = cluster.record(key, 'v1');
    await cluster.write(record, ['d1', 'd2']);
    const job = { key, partition: 0, version: record.version, targets: ['d3'], sources: ['d1', 'd2'] };

    const first = await replicateVersion(ctx, job);
    expect(first).toMatchObject({ outcome: 'copied', source: 'd1', applied: ['d3'], stale: [] });
    expect((await cluster.node('d3').client.get(0, key))?.version).toBe(record.version);

    const second = await replicateVersion(ctx, job);
    expect(second).toMatchObject({ outcome: 'copied', applied: [], stale: ['d3'] });
  });

  it('copies a newer version when the source already has one (replicas still converge)', async () => {
    const key = keyIn(1, 'newer');
    const old = cluster.record(key, 'old');
    const newer = cluster.record(key, 'newer');
    await cluster.write(old, ['d1', 'd2']);
    await cluster.write(newer, ['d1']);
    const report = await replicateVersion(ctx, {
      key,
      partition: 1,
      version: old.version,
      targets: ['d2', 'd3'],
      sources: ['d1'],
    });
    expect(report).toMatchObject({ outcome: 'copied-newer', version: newer.version });
    for (const node of ['d1', 'd2', 'd3']) {
      expect((await cluster.node(node).client.get(1, key))?.value.toString()).toBe('newer');
    }
  });

  it('is a no-op on a target that holds a newer version than the one copied', async () => {
    const key = keyIn(2, 'stale');
    const old = cluster.record(key, 'old');
    const newer = cluster.record(key, 'newer');
    await cluster.write(old, ['d1']);
    await cluster.write(newer, ['d3']);
    const report = await replicateVersion(ctx, {
      key,
      partition: 2,
      version: old.version,
      targets: ['d3'],
      sources: ['d1'],
    });
    expect(report.stale).toEqual(['d3']);
    expect((await cluster.node('d3').client.get(2, key))?.version).toBe(newer.version);
  });

  it('looks beyond the listed sources when they lag (read repair found the newest elsewhere)', async () => {
    const key = keyIn(3, 'elsewhere');
    const record = cluster.record(key, 'only-on-d3');
    await cluster.write(record, ['d3']);
    const report = await replicateVersion(ctx, {
      key,
      partition: 3,
      version: record.version,
      targets: ['d1', 'd2'],
      sources: ['d1'],
    });
    expect(report).toMatchObject({ source: 'd3', applied: ['d1', 'd2'] });
  });

  it('reports nothing to copy when no replica holds the key', async () => {
    const key = keyIn(4, 'nothing');
    const report = await replicateVersion(ctx, {
      key,
      partition: 4,
      version: cluster.nextVersion(),
      targets: ['d3'],
      sources: ['d1'],
    });
    expect(report.outcome).toBe('nothing-to-copy');
  });

  it('throws REPLICA_UNAVAILABLE for a target it could not write, after writing the others', async () => {
    const ghost = new DataNodeClient({
      id: 'ghost',
      url: `http://127.0.0.1:${await freePort()}`,
      clusterToken: cluster.clusterToken,
      timeoutMs: 1_000,
    });
    const view = clusterViewOf(cluster.matrix, [...cluster.nodes.map((n) => n.client), ghost]);
    const key = keyIn(5, 'ghost');
    const record = cluster.record(key, 'v');
    await cluster.write(record, ['d1']);
    await expect(
      replicateVersion(
        { cluster: view },
        { key, partition: 5, version: record.version, targets: ['ghost', 'd2'], sources: ['d1'] },
      ),
    ).rejects.toMatchObject({ code: 'REPLICA_UNAVAILABLE', details: { failed: ['ghost'], applied: ['d2'] } });
    expect((await cluster.node('d2').client.get(5, key))?.version).toBe(record.version);
    await ghost.close();
  });
});
