import { describe, expect, it } from 'vitest';
import { DataNodeClient, type DataNodeAddress } from '@redoubt/cluster-client';
import { build } from '@redoubt/placement';
import { DataNodeSet } from './data-node-set.js';

/** Real node clients (no request is made: connecting only builds them). */
function nodeSet(initial: DataNodeAddress[]) {
  const made: DataNodeClient[] = [];
  const set = new DataNodeSet((address) => {
    const api = new DataNodeClient({ ...address, clusterToken: 'token-0123456789abcdef' });
    made.push(api);
    return { api, replica: api };
  }, initial);
  return { set, made };
}

const address = (id: string, port: number): DataNodeAddress => ({ id, url: `http://127.0.0.1:${port}` });
const matrix = (ids: string[], epoch: number) =>
  build(
    ids.map((id) => ({ id, zone: id, weight: 1 })),
    { partitions: 16, replicas: 3, epoch },
  );

describe('DataNodeSet', () => {
  it('connects nodes published with an epoch, and replaces the client of a node that moved', async () => {
    const { set, made } = nodeSet([address('d1', 1), address('d2', 2), address('d3', 3)]);
    expect(() => set.replica('d4')).toThrow(expect.objectContaining({ code: 'NODE_NOT_FOUND' }));

    expect(set.adopt(matrix(['d1', 'd2', 'd3', 'd4'], 2), [address('d4', 4)])).toEqual([]);
    expect(set.replica('d4').id).toBe('d4');
    expect(made).toHaveLength(4);

    const before = set.replica('d2');
    const replaced = set.adopt(matrix(['d1', 'd2', 'd3', 'd4'], 3), [address('d2', 22), address('d4', 4)]);
    expect(replaced).toEqual([before]); // d4 is at the same address: kept
    expect(set.replica('d2')).not.toBe(before);
    expect((set.replica('d2') as DataNodeClient).url).toBe('http://127.0.0.1:22');
    await Promise.all(replaced.map((c) => c.close()));
    await set.close();
  });

  it('refuses a whole epoch naming a node without an address, connecting none of it', async () => {
    const { set, made } = nodeSet([address('d1', 1), address('d2', 2), address('d3', 3)]);
    expect(() => set.adopt(matrix(['d1', 'd2', 'd3', 'd4', 'd5'], 2), [address('d4', 4)])).toThrow(
      expect.objectContaining({ code: 'NODE_NOT_FOUND', details: { epoch: 2, nodes: ['d5'] } }),
    );
    expect(made).toHaveLength(3);
    expect(() => set.replica('d4')).toThrow(expect.objectContaining({ code: 'NODE_NOT_FOUND' }));
    await set.close();
  });
});
