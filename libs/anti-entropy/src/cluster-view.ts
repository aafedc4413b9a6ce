import type { ClusterMap, DataNodeApi } from '@redoubt/cluster-client';
import { RedoubtError } from '@redoubt/errors';
import { replicasOf, type PlacementMatrix } from '@redoubt/placement';

/**
 * What anti-entropy needs to know about the cluster: which nodes hold a partition (the placement) and how
 * to reach a node. Kept this narrow so the domain logic runs the same over the worker's static placement,
 * a placement published by the monitor, or a hand-made replica set in a test.
 */
export interface ClusterView {
  readonly epoch: number;
  readonly partitions: number;
  /** Node ids holding `partition`, primary first. */
  replicasOf(partition: number): string[];
  /** The client of a node; throws NODE_NOT_FOUND for an id the cluster does not know. */
  node(id: string): DataNodeApi;
  nodeIds(): string[];
}

/** A ClusterView over a placement matrix and one client per node. */
export function clusterViewOf(matrix: PlacementMatrix, clients: Iterable<DataNodeApi>): ClusterView {
  const byId = new Map<string, DataNodeApi>();
  for (const client of clients) byId.set(client.id, client);
  return {
    epoch: matrix.epoch,
    partitions: matrix.partitions,
    replicasOf: (partition) => replicasOf(matrix, partition),
    node: (id) => {
      const client = byId.get(id);
      if (!client)
        throw new RedoubtError('NODE_NOT_FOUND', `no data node ${JSON.stringify(id)} in the cluster`, {
          node: id,
        });
      return client;
    },
    nodeIds: () => [...byId.keys()],
  };
}

/**
 * A ClusterView that follows a ClusterMap of @redoubt/cluster-client (the placement epoch joined with node
 * clients): every call reads the map's current epoch, so an operation started after an epoch change sees
 * the new replica sets.
 */
export function clusterViewOfMap(map: ClusterMap): ClusterView {
  return {
    get epoch() {
      return map.epoch;
    },
    get partitions() {
      return map.partitions;
    },
    replicasOf: (partition) => map.replicasOf(partition).map((client) => client.id),
    node: (id) => {
      const client = map.node(id);
      if (!client)
        throw new RedoubtError('NODE_NOT_FOUND', `no data node ${JSON.stringify(id)} in the cluster`, {
          node: id,
        });
      return client;
    },
    nodeIds: () => map.nodes().map((client) => client.id),
  };
}
