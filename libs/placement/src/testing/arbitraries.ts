import fc from 'fast-check';
import type { ServerSpec } from '../placement-types.js';

/**
 * Random server lists for the property tests. Zone layouts: every server its own zone, zones of equal size,
 * or servers dropped into a few zones at random (unequal zones). Weights: all equal, or integers 1..maxWeight.
 */
export type ZoneLayout = 'own' | 'equal' | 'random';

export interface ServerListOptions {
  minServers?: number;
  maxServers?: number;
  zones?: ZoneLayout[];
  equalWeights?: boolean;
  maxWeight?: number;
}

export function serverListArb(options: ServerListOptions = {}): fc.Arbitrary<ServerSpec[]> {
  const {
    minServers = 1,
    maxServers = 16,
    zones = ['own', 'equal', 'random'],
    equalWeights = false,
    maxWeight = 8,
  } = options;
  return fc
    .record({
      count: fc.integer({ min: minServers, max: maxServers }),
      layout: fc.constantFrom(...zones),
      zoneCount: fc.integer({ min: 1, max: 6 }),
      picks: fc.array(fc.nat(), { minLength: maxServers, maxLength: maxServers }),
      weights: fc.array(fc.integer({ min: 1, max: maxWeight }), {
        minLength: maxServers,
        maxLength: maxServers,
      }),
    })
    .map(({ count, layout, zoneCount, picks, weights }) =>
      Array.from({ length: count }, (_, i) => ({
        id: `srv-${i}`,
        zone: zoneName(layout, i, count, zoneCount, picks[i]!),
        weight: equalWeights ? 1 : weights[i]!,
      })),
    );
}

function zoneName(layout: ZoneLayout, i: number, count: number, zoneCount: number, pick: number): string {
  if (layout === 'own') return `zone-${i}`;
  // Equal zones: as many as divide the count evenly (at least 1 server each).
  if (layout === 'equal') {
    let zones = Math.min(zoneCount, count);
    while (count % zones !== 0) zones -= 1;
    return `zone-${i % zones}`;
  }
  return `zone-${pick % zoneCount}`;
}

/** A server list with a matching replica count (1..min(T, 5)) and partition count. */
export function placementInputArb(
  options: ServerListOptions & { maxPartitions?: number } = {},
): fc.Arbitrary<{ servers: ServerSpec[]; replicas: number; partitions: number }> {
  return serverListArb(options).chain((servers) =>
    fc.record({
      servers: fc.constant(servers),
      replicas: fc.integer({ min: 1, max: Math.min(servers.length, 5) }),
      partitions: fc.integer({ min: 1, max: options.maxPartitions ?? 512 }),
    }),
  );
}

/** Cells per server id, counted from a matrix. */
export function cellCounts(m: { servers: readonly ServerSpec[]; cells: Uint16Array }): Map<string, number> {
  const counts = new Map<string, number>();
  for (const c of m.cells) {
    const id = m.servers[c]!.id;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/**
 * The fewest cells that must change to go from loads `before` to loads `after`: every cell above the new
 * load has to leave its server (a removed server's new load is 0).
 */
export function movementLowerBound(before: Map<string, number>, after: Map<string, number>): number {
  let leaving = 0;
  for (const [id, count] of before) leaving += Math.max(0, count - (after.get(id) ?? 0));
  let arriving = 0;
  for (const [id, count] of after) arriving += Math.max(0, count - (before.get(id) ?? 0));
  return Math.max(leaving, arriving);
}

/**
 * The row invariants checked independently of validate(): R distinct servers per row, distinct zones when
 * there are at least R zones, and at most `maxPerZone` per zone otherwise. Returns the first few problems.
 */
export function rowProblems(
  m: { partitions: number; replicas: number; servers: readonly ServerSpec[]; cells: Uint16Array },
  maxPerZone: number,
): string[] {
  const problems: string[] = [];
  const zoneNames = [...new Set(m.servers.map((s) => s.zone))];
  const zoneOf = m.servers.map((s) => zoneNames.indexOf(s.zone));
  const distinctZones = zoneNames.length >= m.replicas;
  for (let p = 0; p < m.partitions && problems.length < 5; p++) {
    const row = Array.from(m.cells.subarray(p * m.replicas, (p + 1) * m.replicas));
    if (row.some((c) => c >= m.servers.length)) problems.push(`row ${p} points outside the server list`);
    if (new Set(row).size !== m.replicas) problems.push(`row ${p} repeats a server: ${row.join(',')}`);
    const zones = row.map((c) => zoneOf[c]!);
    if (distinctZones && new Set(zones).size !== m.replicas) problems.push(`row ${p} repeats a zone`);
    for (const z of zones) {
      if (zones.filter((x) => x === z).length > maxPerZone) problems.push(`row ${p} has too many in a zone`);
    }
  }
  return problems;
}
