import type { PlacementMatrix } from '@redoubt/placement';
import type { Logger } from '@redoubt/telemetry';
import type { NodeAddress } from './placement-store.js';
import { PlacementSubscriber, type PlacementSubscriberOptions } from './placement-subscriber.js';

/** Anything that routes by a placement and can switch to a newer epoch (a ClusterMap, a placement holder). */
export interface PlacementTarget {
  readonly epoch: number;
  update(matrix: PlacementMatrix, nodes?: readonly NodeAddress[]): unknown;
}

export interface PlacementFollower {
  /** The subscriber, once it has started (undefined before). */
  subscriber(): PlacementSubscriber | undefined;
  close(): Promise<void>;
}

/**
 * Keeps a service's routing on the newest placement epoch the monitor published, without ever blocking the
 * service: it starts on its own placement (epoch 1 from its configuration) at once, the subscriber connects
 * in the background, and every newer epoch is applied as it arrives. Node addresses published with an
 * epoch override the configured ones by id (nodes added at run time become reachable). When Redis is away,
 * the last epoch applied stays in force.
 */
export function followPlacement(
  targets: readonly PlacementTarget[],
  options: PlacementSubscriberOptions & { configuredNodes: readonly NodeAddress[]; logger?: Logger },
): PlacementFollower {
  let sub: PlacementSubscriber | undefined;
  let closed = false;

  const addresses = (published: readonly NodeAddress[]): NodeAddress[] => {
    const byId = new Map(options.configuredNodes.map((n) => [n.id, n]));
    for (const node of published) byId.set(node.id, node);
    return [...byId.values()];
  };

  const apply = async (matrix: PlacementMatrix | undefined, published: readonly NodeAddress[]) => {
    if (!matrix) return;
    for (const target of targets) {
      if (matrix.epoch <= target.epoch) continue;
      try {
        await target.update(matrix, addresses(published));
        options.logger?.info({ epoch: matrix.epoch }, 'following placement epoch');
      } catch (error) {
        options.logger?.error({ err: error, epoch: matrix.epoch }, 'could not switch to placement epoch');
      }
    }
  };

  const started = PlacementSubscriber.start(options).then(
    async (subscriber) => {
      if (closed) {
        await subscriber.close();
        return;
      }
      sub = subscriber;
      subscriber.on('epoch', (matrix, change) => void apply(matrix, change.nodes));
      await apply(subscriber.current(), subscriber.nodes());
    },
    (error: unknown) => options.logger?.error({ err: error }, 'placement subscriber did not start'),
  );

  return {
    subscriber: () => sub,
    async close() {
      closed = true;
      await started;
      await sub?.close();
    },
  };
}
