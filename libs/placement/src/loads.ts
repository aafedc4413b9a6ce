import { RedoubtError } from '@redoubt/errors';
import type { PlacementMatrix } from './placement-types.js';

/**
 * Per-server load: the column sums of the matrix weighted by partition size, B = A x Q with A the vector of
 * partition sizes (all ones by default, which gives the replica count per server). Every server of the
 * matrix appears, with 0 when it holds nothing.
 */
export function loads(m: PlacementMatrix, sizes?: ArrayLike<number>): Record<string, number> {
  if (sizes !== undefined) {
    if (sizes.length !== m.partitions) {
      throw new RedoubtError(
        'INVALID_ARGUMENT',
        `sizes has ${sizes.length} entries, the matrix has ${m.partitions} partitions`,
        { sizes: sizes.length, partitions: m.partitions },
      );
    }
    for (let p = 0; p < sizes.length; p++) {
      const size = sizes[p]!;
      if (!Number.isFinite(size) || size < 0) {
        throw new RedoubtError('INVALID_ARGUMENT', `partition ${p} has size ${size}`, { partition: p });
      }
    }
  }
  const columns = m.servers.length;
  const sums = new Float64Array(columns);
  const { cells, replicas } = m;
  for (let p = 0, i = 0; p < m.partitions; p++) {
    const size = sizes === undefined ? 1 : sizes[p]!;
    for (let r = 0; r < replicas; r++, i++) {
      const column = cells[i]!;
      if (column < columns) sums[column]! += size;
    }
  }
  const result: Record<string, number> = {};
  m.servers.forEach((server, column) => {
    result[server.id] = sums[column]!;
  });
  return result;
}
