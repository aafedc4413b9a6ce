import { RedoubtError } from '@redoubt/errors';
import type { PlacementMatrix, ServerSpec } from './placement-types.js';

/**
 * Wraps the parts of a matrix into the frozen public object. The cells array cannot be frozen (typed arrays
 * refuse), so immutability of cells is a contract: nothing in this library writes to a matrix it returned.
 */
export function createMatrix(parts: {
  epoch: number;
  partitions: number;
  replicas: number;
  servers: readonly ServerSpec[];
  cells: Uint16Array;
}): PlacementMatrix {
  return Object.freeze({
    epoch: parts.epoch,
    partitions: parts.partitions,
    replicas: parts.replicas,
    servers: parts.servers,
    cells: parts.cells,
  });
}

function checkPartitionIndex(m: PlacementMatrix, partition: number): void {
  if (!Number.isInteger(partition) || partition < 0 || partition >= m.partitions) {
    throw new RedoubtError(
      'INVALID_ARGUMENT',
      `partition ${String(partition)} is outside 0..${m.partitions - 1}`,
      { partition, partitions: m.partitions },
    );
  }
}

/** Server ids holding `partition`, primary first. */
export function replicasOf(m: PlacementMatrix, partition: number): string[] {
  checkPartitionIndex(m, partition);
  const ids: string[] = [];
  const base = partition * m.replicas;
  for (let r = 0; r < m.replicas; r++) {
    const server = m.servers[m.cells[base + r]!];
    if (server !== undefined) ids.push(server.id);
  }
  return ids;
}

/** Partitions with a replica on `serverId`, ascending; empty for a server the matrix does not use. */
export function partitionsOf(m: PlacementMatrix, serverId: string): number[] {
  const column = m.servers.findIndex((server) => server.id === serverId);
  const result: number[] = [];
  if (column < 0) return result;
  const { cells, replicas } = m;
  for (let p = 0; p < m.partitions; p++) {
    const base = p * replicas;
    for (let r = 0; r < replicas; r++) {
      if (cells[base + r] === column) {
        result.push(p);
        break;
      }
    }
  }
  return result;
}

/** For consumers that accept a published matrix: refuses one that is not newer than what they hold. */
export function assertNewerEpoch(
  current: PlacementMatrix | number,
  candidate: PlacementMatrix | number,
): void {
  const have = typeof current === 'number' ? current : current.epoch;
  const got = typeof candidate === 'number' ? candidate : candidate.epoch;
  if (got <= have) {
    throw new RedoubtError('PLACEMENT_STALE_EPOCH', `placement epoch ${got} is not newer than ${have}`, {
      current: have,
      candidate: got,
    });
  }
}
