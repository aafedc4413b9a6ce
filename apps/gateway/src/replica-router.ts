import { RedoubtError } from '@redoubt/errors';
import { partitionOf } from '@redoubt/hashing';
import { replicasOf, type PlacementMatrix } from '@redoubt/placement';
import type { ReplicaClient, ReplicaSet } from '@redoubt/quorum';
import type { PlacementProvider } from './placement-provider.js';

/**
 * key -> partition (hash) -> replica set (current placement epoch) -> replica clients. Replica sets are
 * built once per partition and epoch and reused, so routing a request allocates nothing; a new epoch drops
 * them all.
 */
export class ReplicaRouter {
  private sets: (ReplicaSet | undefined)[] = [];
  private epoch = -1;

  constructor(
    private readonly placement: PlacementProvider,
    private readonly replicaFor: (nodeId: string) => ReplicaClient,
  ) {
    placement.onChange(() => this.reset());
  }

  /** The replica set that owns `key`; throws PLACEMENT_UNAVAILABLE before any placement is known. */
  route(key: string): ReplicaSet {
    const matrix = this.placement.current();
    if (!matrix) throw new RedoubtError('PLACEMENT_UNAVAILABLE', 'the gateway has no placement yet');
    if (matrix.epoch !== this.epoch) this.reset(matrix);
    const partition = partitionOf(key, matrix.partitions);
    return this.sets[partition] ?? this.build(matrix, partition);
  }

  private build(matrix: PlacementMatrix, partition: number): ReplicaSet {
    const set: ReplicaSet = {
      partition,
      epoch: matrix.epoch,
      replicas: replicasOf(matrix, partition).map((id) => this.replicaFor(id)),
    };
    this.sets[partition] = set;
    return set;
  }

  private reset(matrix = this.placement.current()): void {
    this.sets = [];
    this.epoch = matrix?.epoch ?? -1;
  }
}
