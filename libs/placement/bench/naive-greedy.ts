import type { ServerSpec } from '../src/index.js';
import { zoneRule } from '../src/zone-rule.js';

/**
 * The baseline for build speed: the obvious greedy loop. For every cell, scan all servers and take the least
 * loaded (load / weight) one that is not yet in the row and whose zone still has room. O(P*R*T*R); it
 * balances well but does T*R work per cell where the builder does O(1).
 */
export function naiveGreedyBuild(
  servers: readonly ServerSpec[],
  partitions: number,
  replicas: number,
): Uint16Array {
  const t = servers.length;
  const { zoneOf, maxPerZone } = zoneRule(servers, replicas);
  const weight = Float64Array.from(servers, (s) => s.weight);
  const load = new Float64Array(t);
  const cells = new Uint16Array(partitions * replicas);
  for (let p = 0; p < partitions; p++) {
    const base = p * replicas;
    for (let r = 0; r < replicas; r++) {
      let best = -1;
      let bestScore = Infinity;
      for (let s = 0; s < t; s++) {
        let taken = false;
        let sameZone = 0;
        for (let q = 0; q < r; q++) {
          const c = cells[base + q]!;
          if (c === s) taken = true;
          if (zoneOf[c] === zoneOf[s]) sameZone += 1;
        }
        if (taken || sameZone >= maxPerZone) continue;
        const score = (load[s]! + 1) / weight[s]!;
        if (score < bestScore) {
          best = s;
          bestScore = score;
        }
      }
      cells[base + r] = best;
      load[best]! += 1;
    }
  }
  return cells;
}
