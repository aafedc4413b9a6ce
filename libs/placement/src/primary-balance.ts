import { mix32 } from './deterministic-random.js';
import { apportion } from './fair-share.js';

/**
 * Slot 0 of a row is the partition's primary. Which replica is primary moves no data, so once the replica
 * sets are settled the rows are reordered in place so that every server is primary for its share of the
 * partitions (its load / R, rounded).
 *
 * - `fresh` (build): every row takes as primary the member furthest below its share so far, a sequential
 *   greedy that ends within a cell or two of every share.
 * - otherwise (rebalance): stable primaries stay primaries; only a row whose primary is above its share
 *   swaps in the member furthest below its own share.
 */
/** `load`: cells per server, which the caller already knows. */
export function balancePrimaries(
  cells: Uint16Array,
  partitions: number,
  replicas: number,
  load: ArrayLike<number>,
  seed: number,
  fresh: boolean,
): void {
  if (replicas < 2) return;
  const serverCount = load.length;
  const target = apportion({
    targets: Float64Array.from(load, (l) => l / replicas),
    total: partitions,
    serverCap: partitions,
    zoneOf: new Int32Array(serverCount),
    zoneCaps: [partitions],
  });
  const primaries = new Int32Array(serverCount);
  if (!fresh) for (let p = 0; p < partitions; p++) primaries[cells[p * replicas]!]! += 1;
  // Sequential sweeps (memory order: a million-row matrix is 6 MB). The seed picks where a sweep starts, so
  // no range of rows is always favoured; a second sweep catches swaps that the first one opened up.
  const start = mix32(seed, 0x7072696d) % partitions;
  for (let sweep = 0; sweep < (fresh ? 1 : 2); sweep++) {
    for (let k = 0, p = start; k < partitions; k++, p = p + 1 === partitions ? 0 : p + 1) {
      const base = p * replicas;
      const current = cells[base]!;
      if (!fresh && primaries[current]! <= target[current]!) continue;
      let best = fresh ? 0 : -1;
      let bestDeficit = fresh ? target[current]! - primaries[current]! : 0;
      for (let r = 1; r < replicas; r++) {
        const s = cells[base + r]!;
        const deficit = target[s]! - primaries[s]!;
        if (deficit > bestDeficit) {
          best = r;
          bestDeficit = deficit;
        }
      }
      if (best < 0) continue;
      const chosen = cells[base + best]!;
      if (best > 0) {
        cells[base + best] = current;
        cells[base] = chosen;
        if (!fresh) primaries[current]! -= 1;
      }
      primaries[chosen]! += 1;
    }
  }
}
