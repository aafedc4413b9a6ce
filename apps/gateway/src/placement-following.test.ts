import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { DataNodeClient } from '@redoubt/cluster-client';
import { partitionOf } from '@redoubt/hashing';
import { PlacementStore } from '@redoubt/membership';
import { build, replicasOf, type PlacementMatrix } from '@redoubt/placement';
import { createRedisConnection } from '@redoubt/queues';
import { eventually, TestCluster } from './testing/test-cluster.js';

/**
 * A gateway configured with three data nodes follows the epochs the monitor publishes: it reaches a fourth
 * node through the address published with the epoch, and refuses an epoch naming a node it has no
 * address for (keeping the one it has).
 */
let cluster: TestCluster;
let connection: Redis;
let store: PlacementStore;
let gatewayUrl = '';
const GATEWAY = 'gw-three';

beforeAll(async () => {
  cluster = await TestCluster.start({ dataNodes: 4 });
  const threeNodes = ['d1', 'd2', 'd3'].map((id) => `${id}=${cluster.nodeUrl(id)}`).join(',');
  const gateway = await cluster.startGateway(GATEWAY, { DATA_NODES: threeNodes });
  gatewayUrl = gateway.options.readyUrl!.replace('/readyz', '');
  connection = createRedisConnection(cluster.redis.url, 'worker');
  connection.on('error', () => undefined);
  store = new PlacementStore(connection, cluster.queuePrefix);
});

afterAll(async () => {
  connection?.disconnect();
  await cluster?.stop();
});

const matrixOf = (ids: string[], epoch: number): PlacementMatrix =>
  build(
    ids.map((id) => ({ id, zone: id, weight: 1 })),
    { partitions: cluster.partitions, replicas: 3, epoch },
  );

interface AdminStatus {
  placement: { epoch: number };
  dataNodes: { id: string; url: string }[];
}

const adminStatus = async (): Promise<AdminStatus> => {
  const res = await fetch(`${gatewayUrl}/admin/status`, {
    headers: { authorization: `Bearer ${cluster.adminKey}` },
    signal: AbortSignal.timeout(10_000),
  });
  return (await res.json()) as AdminStatus;
};
const epochOf = async (): Promise<number> => (await adminStatus()).placement.epoch;

const put = (key: string, value: string) =>
  fetch(`${gatewayUrl}/v1/kv/${encodeURIComponent(key)}`, {
    method: 'PUT',
    body: value,
    headers: { authorization: `Bearer ${cluster.apiKey}` },
    signal: AbortSignal.timeout(20_000),
  });

/** A key whose replicas in `matrix` include `node`. */
function keyOn(matrix: PlacementMatrix, node: string, prefix: string): string {
  for (let i = 0; ; i++) {
    const key = `${prefix}-${i}`;
    if (replicasOf(matrix, partitionOf(key, matrix.partitions)).includes(node)) return key;
  }
}

describe('a gateway following published placements', () => {
  it('reaches a data node it was not configured with, through the address published with the epoch', async () => {
    expect((await adminStatus()).dataNodes.map((n) => n.id)).toEqual(['d1', 'd2', 'd3']);
    const epoch2 = matrixOf(['d1', 'd2', 'd3', 'd4'], 2);
    await store.publish(epoch2, {
      nodes: ['d1', 'd2', 'd3', 'd4'].map((id) => ({ id, url: cluster.nodeUrl(id) })),
      publishedBy: 'test',
      reason: 'd4 added',
    });
    await eventually('the gateway switches to epoch 2', async () => (await epochOf()) === 2);
    expect((await adminStatus()).dataNodes).toContainEqual({ id: 'd4', url: cluster.nodeUrl('d4') });

    const key = keyOn(epoch2, 'd4', 'on-d4');
    const res = await put(key, 'reached d4');
    expect(res.status).toBe(201);
    const version = ((await res.json()) as { version: string }).version;
    const d4 = new DataNodeClient({
      id: 'd4',
      url: cluster.nodeUrl('d4'),
      clusterToken: cluster.clusterToken,
    });
    try {
      // W = 2 acknowledges without waiting for the third replica: wait for d4's own write to land
      const onD4 = await eventually(
        'd4 holds the write',
        async () => (await d4.get(partitionOf(key, cluster.partitions), key)) ?? undefined,
      );
      expect(onD4.version).toBe(version);
    } finally {
      await d4.close();
    }
  });

  it('refuses an epoch that names a node without an address, and keeps serving by the one it has', async () => {
    await store.publish(matrixOf(['d1', 'd2', 'd3', 'd4', 'd5'], 3), {
      nodes: ['d1', 'd2', 'd3', 'd4'].map((id) => ({ id, url: cluster.nodeUrl(id) })),
      publishedBy: 'test',
      reason: 'd5 without an address',
    });
    const log = join(cluster.dir, 'logs', `${GATEWAY}.log`);
    await eventually('the gateway logs the refused epoch', () =>
      readFileSync(log, 'utf8').includes('could not switch to placement epoch'),
    );
    expect(readFileSync(log, 'utf8')).toContain('d5');
    expect(await epochOf()).toBe(2);
    expect((await put(keyOn(matrixOf(['d1', 'd2', 'd3', 'd4'], 2), 'd4', 'still'), 'v')).status).toBe(201);
  });
});
