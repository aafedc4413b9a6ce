import { RedoubtError } from '@redoubt/errors';
import type { LeaderLease, NodeAddress, PlacementStore, PlacementSubscriber } from '@redoubt/membership';
import { partitionsOf, replicasOf, type PlacementMatrix } from '@redoubt/placement';
import { PRIORITY, type JobProducer } from '@redoubt/queues';
import type { Logger } from '@redoubt/telemetry';
import {
  previewChange,
  type ChangePreview,
  type MembershipChange,
  type PlannedMove,
} from './move-planning.js';

export interface ChangeContext {
  isLive: (node: string) => boolean;
  sizeOf: (partition: number) => number;
  sizesComplete: boolean;
  /** Addresses of every data node, published with the epoch. */
  nodes: NodeAddress[];
  reason: string;
  /** Apply only if this is still the current epoch (what the operator previewed). */
  expectedEpoch?: number;
}

export interface AppliedChange {
  preview: ChangePreview;
  next: PlacementMatrix;
  moves: PlannedMove[];
  /** Moves that could not be enqueued yet (Redis away); retried by `retryUnqueued`. */
  unqueued: number;
}

const ENQUEUE_CONCURRENCY = 16;

/**
 * Makes placement changes: computes the next epoch, publishes it under the leader's fencing token as a
 * compare-and-set on the epoch it was computed from, and enqueues the move plan on the rebalance-move
 * queue, riskiest first. Job ids are deterministic (partition, target, epoch), so enqueueing again after a
 * failure adds nothing twice.
 */
export class PlacementChanger {
  private unqueued: { move: PlannedMove; fromEpoch: number; toEpoch: number }[] = [];

  constructor(
    private readonly deps: {
      store: PlacementStore;
      subscriber: PlacementSubscriber;
      lease: LeaderLease;
      producer: JobProducer;
      logger: Logger;
      monitorId: string;
      writeQuorum: number;
      bandwidthBytesPerSecond: number;
    },
  ) {}

  current(): PlacementMatrix {
    const matrix = this.deps.subscriber.current();
    if (!matrix) throw new RedoubtError('PLACEMENT_UNAVAILABLE', 'no placement is known yet');
    return matrix;
  }

  preview(change: MembershipChange, context: Omit<ChangeContext, 'reason' | 'nodes'>): ChangePreview {
    return previewChange(this.current(), change, { ...context, ...this.previewSettings() }).preview;
  }

  async apply(change: MembershipChange, context: ChangeContext): Promise<AppliedChange> {
    const fence = this.deps.lease.fence();
    if (!fence) throw new RedoubtError('NOT_LEADER', 'this monitor does not hold the leader lease');
    const current = this.current();
    if (context.expectedEpoch !== undefined && context.expectedEpoch !== current.epoch) {
      throw new RedoubtError(
        'PLACEMENT_STALE_EPOCH',
        `the change was planned on epoch ${context.expectedEpoch} but epoch ${current.epoch} is current; preview it again`,
        { current: current.epoch, expected: context.expectedEpoch },
      );
    }
    const { next, moves, preview } = previewChange(current, change, {
      ...context,
      ...this.previewSettings(),
    });
    await this.deps.store.publish(next, {
      fence,
      expectedEpoch: current.epoch,
      nodes: context.nodes,
      publishedBy: this.deps.monitorId,
      reason: context.reason,
    });
    await this.deps.subscriber.refresh();
    this.deps.logger.info(
      { fromEpoch: current.epoch, toEpoch: next.epoch, moves: moves.length, reason: context.reason },
      'placement epoch published',
    );
    const failed = await this.enqueue(moves, current.epoch, next.epoch);
    return { preview, next, moves, unqueued: failed };
  }

  /** Moves not enqueued yet (after Redis trouble). */
  pendingEnqueue(): number {
    return this.unqueued.length;
  }

  async retryUnqueued(): Promise<void> {
    if (this.unqueued.length === 0) return;
    const batch = this.unqueued;
    this.unqueued = [];
    const byEpoch = new Map<string, PlannedMove[]>();
    for (const item of batch) {
      const key = `${item.fromEpoch}:${item.toEpoch}`;
      byEpoch.set(key, [...(byEpoch.get(key) ?? []), item.move]);
    }
    for (const [key, moves] of byEpoch) {
      const [fromEpoch, toEpoch] = key.split(':').map(Number) as [number, number];
      await this.enqueue(moves, fromEpoch, toEpoch);
    }
  }

  /** Repair jobs for every partition a returning node holds (it missed writes while it was down). */
  async enqueueRepairs(node: string, matrix: PlacementMatrix): Promise<number> {
    const partitions = partitionsOf(matrix, node);
    let added = 0;
    for (let i = 0; i < partitions.length; i += ENQUEUE_CONCURRENCY) {
      const chunk = partitions.slice(i, i + ENQUEUE_CONCURRENCY);
      await Promise.all(
        chunk.map(async (partition) => {
          const replicas = replicasOf(matrix, partition);
          if (replicas.length < 2) return;
          await this.deps.producer.repairPartition(
            { partition, replicas, reason: 'node-returned', epoch: matrix.epoch },
            { deduplicate: true, priority: PRIORITY.belowR },
          );
          added += 1;
        }),
      );
    }
    return added;
  }

  private previewSettings() {
    return { writeQuorum: this.deps.writeQuorum, bandwidthBytesPerSecond: this.deps.bandwidthBytesPerSecond };
  }

  /** Enqueues in plan order (priorities decide the run order anyway); returns how many failed. */
  private async enqueue(moves: PlannedMove[], fromEpoch: number, toEpoch: number): Promise<number> {
    let failed = 0;
    for (let i = 0; i < moves.length; i += ENQUEUE_CONCURRENCY) {
      const chunk = moves.slice(i, i + ENQUEUE_CONCURRENCY);
      await Promise.all(
        chunk.map(async (move) => {
          try {
            await this.deps.producer.rebalanceMove(
              {
                partition: move.partition,
                from: move.from,
                to: move.to,
                keep: move.keep,
                fromEpoch,
                toEpoch,
              },
              move.priority,
            );
          } catch (error) {
            failed += 1;
            this.unqueued.push({ move, fromEpoch, toEpoch });
            this.deps.logger.debug({ err: error, partition: move.partition }, 'move not enqueued yet');
          }
        }),
      );
    }
    if (failed > 0) this.deps.logger.warn({ failed, toEpoch }, 'some moves could not be enqueued; retrying');
    return failed;
  }
}
