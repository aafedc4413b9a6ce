import { RedoubtError } from '@redoubt/errors';
import type { DataNodeAddress, DataNodeApi } from '@redoubt/cluster-client';
import type { PlacementMatrix } from '@redoubt/placement';
import type { ReplicaClient } from '@redoubt/quorum';

/** What the gateway holds per data node: the client and the replica the quorum logic calls. */
export interface ConnectedNode {
  api: DataNodeApi;
  replica: ReplicaClient;
}

/**
 * The gateway's data node clients, one per node id. It starts with DATA_NODES and learns the addresses
 * each placement epoch is published with, so a node the monitor adds at run time (`redoubt node add`) is
 * reachable without restarting gateways. An epoch naming a node with no known address is refused whole
 * (NODE_NOT_FOUND): the gateway keeps routing by the epoch it has rather than fail requests for the
 * partitions of a node it cannot reach.
 *
 * Clients of nodes that leave the placement stay open (one idle connection each); a node whose address
 * changed gets a new client, and the old one is closed once the new epoch is in use.
 */
export class DataNodeSet {
  private readonly nodes = new Map<string, ConnectedNode & { url: string }>();

  constructor(
    private readonly connect: (address: DataNodeAddress) => ConnectedNode,
    initial: readonly DataNodeAddress[],
  ) {
    for (const address of initial) this.nodes.set(address.id, { ...connect(address), url: address.url });
  }

  /** The replica client of `id`; throws NODE_NOT_FOUND for a node this gateway has no address for. */
  replica(id: string): ReplicaClient {
    const node = this.nodes.get(id);
    if (!node) {
      throw new RedoubtError('NODE_NOT_FOUND', `the placement names data node ${id}, which has no address`, {
        node: id,
      });
    }
    return node.replica;
  }

  /**
   * Connects the servers of `matrix` from `addresses` (new nodes, or nodes at a new address) before the
   * gateway switches to it; returns the replaced clients, to close once the switch is done. Throws
   * NODE_NOT_FOUND, connecting nothing, when a server has neither a known nor a published address.
   */
  adopt(matrix: PlacementMatrix, addresses: readonly DataNodeAddress[]): DataNodeApi[] {
    const published = new Map(addresses.map((a) => [a.id, a]));
    const missing = matrix.servers.map((s) => s.id).filter((id) => !published.has(id) && !this.nodes.has(id));
    if (missing.length > 0) {
      throw new RedoubtError(
        'NODE_NOT_FOUND',
        `epoch ${matrix.epoch} names data nodes without an address: ${missing.join(', ')}`,
        { epoch: matrix.epoch, nodes: missing },
      );
    }
    const replaced: DataNodeApi[] = [];
    for (const server of matrix.servers) {
      const address = published.get(server.id);
      const known = this.nodes.get(server.id);
      if (address === undefined || known?.url === address.url) continue;
      if (known) replaced.push(known.api);
      this.nodes.set(server.id, { ...this.connect(address), url: address.url });
    }
    return replaced;
  }

  /** The address this gateway uses for `id` (the Paxos transport follows moves through it). */
  urlOf(id: string): string | undefined {
    return this.nodes.get(id)?.url;
  }

  /** Every node this gateway has a client for, with the address it uses (for the admin status). */
  addresses(): DataNodeAddress[] {
    return [...this.nodes].map(([id, node]) => ({ id, url: node.url }));
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.nodes.values()].map((n) => n.api.close()));
  }
}
