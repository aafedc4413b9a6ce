import type { ServerSpec } from './placement-types.js';

/**
 * The failure-domain rule: a row may hold at most `maxPerZone` replicas in one zone. With at least R zones
 * that is 1 (every replica in a different zone). With fewer zones it is the smallest level L at which the
 * zones can still hold R replicas, sum over zones of min(L, zone size) >= R: replicas are then spread as
 * evenly as the zones allow (3 replicas over 2 zones: at most 2 in either).
 */
export interface ZoneRule {
  /** Server index -> zone index. */
  readonly zoneOf: Int32Array;
  readonly zoneNames: readonly string[];
  /** Servers per zone. */
  readonly zoneSizes: Int32Array;
  readonly maxPerZone: number;
}

export function zoneRule(servers: readonly ServerSpec[], replicas: number): ZoneRule {
  const zoneIndex = new Map<string, number>();
  const zoneNames: string[] = [];
  const zoneOf = new Int32Array(servers.length);
  servers.forEach((server, i) => {
    let z = zoneIndex.get(server.zone);
    if (z === undefined) {
      z = zoneNames.length;
      zoneIndex.set(server.zone, z);
      zoneNames.push(server.zone);
    }
    zoneOf[i] = z;
  });
  const zoneSizes = new Int32Array(zoneNames.length);
  for (const z of zoneOf) zoneSizes[z]! += 1;
  let maxPerZone = 1;
  // Bounded by R: at L = R every zone contributes min(R, size) and any non-empty list reaches R or all servers.
  while (maxPerZone < replicas && capacityAt(zoneSizes, maxPerZone) < replicas) maxPerZone += 1;
  return { zoneOf, zoneNames, zoneSizes, maxPerZone };
}

/** How many replicas of one row the zones can hold when each zone takes at most `level`. */
function capacityAt(zoneSizes: Int32Array, level: number): number {
  let total = 0;
  for (const size of zoneSizes) total += Math.min(level, size);
  return total;
}

/** The most replicas of one row that zone z can hold: min(L, servers in z). */
export function zoneRowCap(rule: ZoneRule, zone: number): number {
  return Math.min(rule.maxPerZone, rule.zoneSizes[zone]!);
}
