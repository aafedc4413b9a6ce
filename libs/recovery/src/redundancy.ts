import type { PlacementMatrix } from '@redoubt/placement';

export interface Redundancy {
  epoch: number;
  /** Partitions with fewer than R filled, live replicas. */
  belowR: number;
  /** Partitions with fewer than W: one more failure can lose acknowledged writes, writes may fail. */
  belowW: number;
  /** Partitions with no live replica at all. */
  unavailable: number;
}

/**
 * Counts, over the current placement, the replicas of each partition that are live (their node answers)
 * and filled (no move into them is still pending or failed for good).
 */
export function redundancyOf(
  matrix: PlacementMatrix,
  isLive: (node: string) => boolean,
  unfilled: ReadonlySet<string>,
  writeQuorum: number,
): Redundancy {
  const live = new Uint8Array(matrix.servers.length);
  matrix.servers.forEach((s, i) => (live[i] = isLive(s.id) ? 1 : 0));
  const result: Redundancy = { epoch: matrix.epoch, belowR: 0, belowW: 0, unavailable: 0 };
  const { cells, replicas } = matrix;
  for (let p = 0; p < matrix.partitions; p++) {
    let count = 0;
    for (let r = 0; r < replicas; r++) {
      const column = cells[p * replicas + r]!;
      const server = matrix.servers[column];
      if (server && live[column] === 1 && !unfilled.has(unfilledKey(p, server.id))) count += 1;
    }
    if (count < replicas) result.belowR += 1;
    if (count < writeQuorum) result.belowW += 1;
    if (count === 0) result.unavailable += 1;
  }
  return result;
}

export function unfilledKey(partition: number, node: string): string {
  return `${partition}:${node}`;
}
