import { fairShares, proportionalShares } from './fair-share.js';
import type { PlacementMatrix, ServerSpec } from './placement-types.js';
import { checkServers } from './server-list.js';
import { loads } from './loads.js';
import { zoneRule } from './zone-rule.js';

/** How well a matrix spreads its replicas, for dashboards and the benchmark. Ratios: 1 is perfect. */
export interface BalanceReport {
  /** max over servers of load / (R*P*weight/W): what the weights alone would ask for. */
  maxLoadRatio: number;
  /**
   * The smallest maxLoadRatio that any matrix obeying the zone rule can have (a continuous bound; equal
   * to 1 unless unequal zones or a very heavy server make proportional shares impossible).
   */
  bestPossibleRatio: number;
  /** maxLoadRatio / bestPossibleRatio: how far from the best the zone rule permits. */
  ratioToBest: number;
  /** max over servers of primaries / (P*weight/W). */
  maxPrimaryRatio: number;
}

export function balanceReport(m: PlacementMatrix, servers: readonly ServerSpec[] = m.servers): BalanceReport {
  const list = checkServers(servers);
  const replicas = Math.min(m.replicas, list.length);
  const proportional = proportionalShares(list, m.partitions, m.replicas);
  const fair = fairShares(list, zoneRule(list, replicas), m.partitions, replicas);
  const load = loads(m);
  const primaries = new Map<string, number>();
  for (let p = 0; p < m.partitions; p++) {
    const id = m.servers[m.cells[p * m.replicas]!]?.id;
    if (id !== undefined) primaries.set(id, (primaries.get(id) ?? 0) + 1);
  }
  let maxLoadRatio = 0;
  let bestPossibleRatio = 0;
  let maxPrimaryRatio = 0;
  list.forEach((server, s) => {
    maxLoadRatio = Math.max(maxLoadRatio, (load[server.id] ?? 0) / proportional[s]!);
    bestPossibleRatio = Math.max(bestPossibleRatio, fair[s]! / proportional[s]!);
    maxPrimaryRatio = Math.max(
      maxPrimaryRatio,
      (primaries.get(server.id) ?? 0) / (proportional[s]! / m.replicas),
    );
  });
  return { maxLoadRatio, bestPossibleRatio, ratioToBest: maxLoadRatio / bestPossibleRatio, maxPrimaryRatio };
}
