import { RedoubtError } from '@redoubt/errors';
import { partitionOf } from '@redoubt/hashing';
import { assertNewerEpoch, replicasOf, type PlacementMatrix } from '@redoubt/placement';
import type { DataNodeAddress, DataNodeApi } from './data-node-api.js';
import { DataNodeClient, type DataNodeClientOptions } from './data-node-client.js';

export interface ClusterMapOptions {
  matrix: PlacementMatrix;
  nodes: readonly DataNodeAddress[];
  clusterToken: string;
  /** Options for every DataNodeClient (timeouts, batching); id, url and token come from the map. */
  client?: Omit<DataNodeClientOptions, 'id' | 'url' | 'clusterToken'>;
  /** Builds a node's client; default `new DataNodeClient(...)`. Tests and wrappers (circuit breakers) plug in here. */
  createClient?: (address: DataNodeAddress) => DataNodeApi;
}

/**
 * Placement (a PlacementMatrix epoch) joined with node addresses: the DataNodeApi clients of a partition,
 * primary first. One client per node, shared by every partition, so coalescing sees all traffic to a node.
 * `update` swaps to a newer epoch atomically (a lookup sees the old map or the new one, never a mix),
 * keeps the clients of nodes that stay (same url) and closes the clients of nodes that left.
 */
export class ClusterMap {
  private current: { matrix: PlacementMatrix; byPartition: DataNodeApi[][] };
  private clients = new Map<string, { url: string; client: DataNodeApi }>();
  private readonly createClient: (address: DataNodeAddress) => DataNodeApi;

  constructor(options: ClusterMapOptions) {
    this.createClient =
      options.createClient ??
      ((address) =>
        new DataNodeClient({
          ...options.client,
          id: address.id,
          url: address.url,
          clusterToken: options.clusterToken,
        }));
    this.current = this.build(options.matrix, options.nodes);
  }

  get epoch(): number {
    return this.current.matrix.epoch;
  }

  get matrix(): PlacementMatrix {
    return this.current.matrix;
  }

  get partitions(): number {
    return this.current.matrix.partitions;
  }

  /** The clients holding `partition`, primary first. */
  replicasOf(partition: number): readonly DataNodeApi[] {
    const replicas = this.current.byPartition[partition];
    if (replicas === undefined) {
      throw new RedoubtError(
        'INVALID_ARGUMENT',
        `partition ${partition} is outside 0..${this.partitions - 1}`,
        {
          partition,
        },
      );
    }
    return replicas;
  }

  /** The partition of `key` (under this map's partition count) and its replicas. */
  forKey(key: string): { partition: number; replicas: readonly DataNodeApi[] } {
    const partition = partitionOf(key, this.partitions);
    return { partition, replicas: this.replicasOf(partition) };
  }

  node(id: string): DataNodeApi | undefined {
    return this.clients.get(id)?.client;
  }

  nodes(): DataNodeApi[] {
    return [...this.clients.values()].map((c) => c.client);
  }

  /**
   * Switches to a newer placement epoch (PLACEMENT_STALE_EPOCH for an older or equal one) and, when given,
   * a new node list. Clients of removed nodes are closed after the switch (their in-flight calls finish).
   */
  async update(matrix: PlacementMatrix, nodes?: readonly DataNodeAddress[]): Promise<void> {
    assertNewerEpoch(this.current.matrix, matrix);
    const addresses = nodes ?? [...this.clients].map(([id, c]) => ({ id, url: c.url }));
    const previous = this.clients;
    this.current = this.build(matrix, addresses, previous);
    const retired = [...previous].filter(([id, c]) => this.clients.get(id)?.client !== c.client);
    await Promise.all(retired.map(([, c]) => c.client.close()));
  }

  async close(): Promise<void> {
    const all = [...this.clients.values()];
    this.clients = new Map();
    await Promise.all(all.map((c) => c.client.close()));
  }

  private build(
    matrix: PlacementMatrix,
    nodes: readonly DataNodeAddress[],
    reuse = new Map<string, { url: string; client: DataNodeApi }>(),
  ): { matrix: PlacementMatrix; byPartition: DataNodeApi[][] } {
    const urls = new Map(nodes.map((a) => [a.id, a.url.replace(/\/+$/, '')]));
    // Check every server the cells name before creating any client, so a refused epoch leaks nothing.
    const columns = new Set(matrix.cells);
    for (const column of columns) {
      const server = matrix.servers[column];
      if (server !== undefined && !urls.has(server.id)) {
        throw new RedoubtError(
          'NODE_NOT_FOUND',
          `placement epoch ${matrix.epoch} names server ${server.id}, which has no address`,
          { node: server.id, epoch: matrix.epoch },
        );
      }
    }
    const clients = new Map<string, { url: string; client: DataNodeApi }>();
    for (const [id, url] of urls) {
      const kept = reuse.get(id);
      clients.set(id, kept && kept.url === url ? kept : { url, client: this.createClient({ id, url }) });
    }
    const byPartition: DataNodeApi[][] = new Array(matrix.partitions);
    for (let p = 0; p < matrix.partitions; p++) {
      byPartition[p] = replicasOf(matrix, p).map((id) => clients.get(id)!.client);
    }
    this.clients = clients;
    return { matrix, byPartition };
  }
}
