import { describe, expect, it } from 'vitest';
import { build, rebalance, replicasOf } from '@redoubt/placement';
import { partitionOf } from '@redoubt/hashing';
import { ClusterMap } from './cluster-map.js';
import type { DataNodeAddress, DataNodeApi } from './data-node-api.js';

const servers = ['d1', 'd2', 'd3', 'd4'].map((id) => ({ id, zone: id, weight: 1 }));
const addresses: DataNodeAddress[] = servers.map((s, i) => ({
  id: s.id,
  url: `http://127.0.0.1:${7101 + i}`,
}));
const token = 'cluster-token-0123456789';

describe('ClusterMap', () => {
  it('gives the clients of a partition, primary first, one shared client per node', async () => {
    const matrix = build(servers.slice(0, 3), { partitions: 64, replicas: 3 });
    const map = new ClusterMap({ matrix, nodes: addresses.slice(0, 3), clusterToken: token });
    for (let p = 0; p < 64; p++) expect(map.replicasOf(p).map((c) => c.id)).toEqual(replicasOf(matrix, p));
    expect(map.replicasOf(0)[0]).toBe(map.node(replicasOf(matrix, 0)[0]!));
    const { partition, replicas } = map.forKey('some-key');
    expect(partition).toBe(partitionOf('some-key', 64));
    expect(replicas).toBe(map.replicasOf(partition));
    expect(map.nodes()).toHaveLength(3);
    expect(() => map.replicasOf(64)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    await map.close();
  });

  it('swaps to a newer epoch, keeping the clients of nodes that stay and closing those that left', async () => {
    const first = build(servers.slice(0, 3), { partitions: 64, replicas: 2 });
    const closed: string[] = [];
    const map = new ClusterMap({
      matrix: first,
      nodes: addresses.slice(0, 3),
      clusterToken: token,
      // Clients that only record being closed: this test never calls a node.
      createClient: (address) =>
        ({
          id: address.id,
          url: address.url,
          close: async () => void closed.push(address.id),
        }) as unknown as DataNodeApi,
    });
    const d2 = map.node('d2');
    const second = rebalance(first, [servers[1]!, servers[2]!, servers[3]!]);
    expect(second.epoch).toBeGreaterThan(first.epoch);
    await map.update(second, addresses.slice(1));
    expect(map.epoch).toBe(second.epoch);
    expect(map.node('d2')).toBe(d2);
    expect(map.node('d1')).toBeUndefined();
    expect(closed).toEqual(['d1']);
    for (let p = 0; p < 64; p++) expect(map.replicasOf(p).map((c) => c.id)).toEqual(replicasOf(second, p));
    await expect(map.update(first)).rejects.toMatchObject({ code: 'PLACEMENT_STALE_EPOCH' });
  });

  it('refuses a placement naming a server without an address', () => {
    const matrix = build(servers, { partitions: 16, replicas: 2 });
    expect(() => new ClusterMap({ matrix, nodes: addresses.slice(0, 3), clusterToken: token })).toThrow(
      expect.objectContaining({ code: 'NODE_NOT_FOUND' }),
    );
  });
});
