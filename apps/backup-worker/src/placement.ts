import { build, type PlacementMatrix } from '@redoubt/placement';

/**
 * Epoch 1 from DATA_NODES (+ zones), PARTITIONS and REPLICAS, built exactly as the gateway builds it:
 * build() is deterministic, so the worker repairs the same replica sets the gateway writes to. When the
 * monitor publishes placement epochs, this is where the worker will follow them.
 */
export function placementFromConfig(options: {
  nodes: readonly { id: string }[];
  zones: ReadonlyMap<string, string>;
  partitions: number;
  replicas: number;
}): PlacementMatrix {
  const servers = options.nodes.map((n) => ({ id: n.id, zone: options.zones.get(n.id) ?? n.id, weight: 1 }));
  return build(servers, { partitions: options.partitions, replicas: options.replicas, epoch: 1 });
}
