import { build } from './zone-aware-builder.js';
import type { PlacementMatrix } from './placement-types.js';

/**
 * Epoch 1 of a cluster from its configuration (DATA_NODES, DATA_NODE_ZONES, PARTITIONS, REPLICAS): equal
 * weights, each node its own zone unless told otherwise. `build` is deterministic, so every gateway,
 * worker and monitor that reads the same configuration computes the same matrix before the monitor has
 * published any epoch.
 */
export function placementFromNodes(options: {
  nodes: readonly { id: string }[];
  zones?: ReadonlyMap<string, string>;
  partitions: number;
  replicas: number;
}): PlacementMatrix {
  const servers = options.nodes.map((n) => ({ id: n.id, zone: options.zones?.get(n.id) ?? n.id, weight: 1 }));
  return build(servers, { partitions: options.partitions, replicas: options.replicas, epoch: 1 });
}
