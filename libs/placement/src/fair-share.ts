import type { ServerSpec } from './placement-types.js';
import { zoneRowCap, type ZoneRule } from './zone-rule.js';

/**
 * How many of the R*P cells each server should hold: its fair share.
 *
 * Proportional to weight (R*P*w/W) unless a cap gets in the way: a server holds at most one replica per row
 * (P cells) and a zone at most min(L, size) per row. Capped servers and zones keep their cap and the rest is
 * shared among the others in proportion to weight again (water-filling). This is the allocation with the
 * smallest possible max(load / proportional share), i.e. the best balance that the zone rule permits.
 */
export function fairShares(
  servers: readonly ServerSpec[],
  rule: ZoneRule,
  partitions: number,
  replicas: number,
): Float64Array {
  const t = servers.length;
  const total = partitions * replicas;
  const zoneCount = rule.zoneNames.length;
  const zoneCap = new Float64Array(zoneCount);
  for (let z = 0; z < zoneCount; z++) zoneCap[z] = zoneRowCap(rule, z) * partitions;
  const members: number[][] = Array.from({ length: zoneCount }, () => []);
  for (let s = 0; s < t; s++) members[rule.zoneOf[s]!]!.push(s);

  const serverFill = (level: number, s: number): number => Math.min(level * servers[s]!.weight, partitions);
  const zoneFill = (level: number, z: number): number => {
    let sum = 0;
    for (const s of members[z]!) sum += serverFill(level, s);
    return sum;
  };
  let minWeight = Infinity;
  for (const server of servers) minWeight = Math.min(minWeight, server.weight);
  const level = waterLevel(
    (x) => {
      let sum = 0;
      for (let z = 0; z < zoneCount; z++) sum += Math.min(zoneCap[z]!, zoneFill(x, z));
      return sum;
    },
    total,
    partitions / minWeight,
  );

  const shares = new Float64Array(t);
  for (let z = 0; z < zoneCount; z++) {
    // A zone that would overflow its cap is filled to the cap at its own, lower, level.
    const zoneLevel =
      zoneFill(level, z) > zoneCap[z]! ? waterLevel((x) => zoneFill(x, z), zoneCap[z]!, level) : level;
    for (const s of members[z]!) shares[s] = serverFill(zoneLevel, s);
  }
  return shares;
}

/** Smallest x in [0, hi] with f(x) >= target, for a non-decreasing f (bisection to double precision). */
function waterLevel(f: (x: number) => number, target: number, hi: number): number {
  let lo = 0;
  for (let i = 0; i < 200 && hi - lo > hi * 1e-15; i++) {
    const mid = (lo + hi) / 2;
    if (f(mid) >= target) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** The proportional share R*P*w/W, ignoring every cap: the yardstick for balance ratios. */
export function proportionalShares(
  servers: readonly ServerSpec[],
  partitions: number,
  replicas: number,
): Float64Array {
  let totalWeight = 0;
  for (const server of servers) totalWeight += server.weight;
  return Float64Array.from(servers, (server) => (partitions * replicas * server.weight) / totalWeight);
}

export interface ApportionInput {
  /** Real-valued targets, one per server; they sum to `total` (up to float error). */
  targets: ArrayLike<number>;
  total: number;
  /** Most cells one server may take. */
  serverCap: number;
  zoneOf: Int32Array;
  /** Most cells one zone may take. */
  zoneCaps: ArrayLike<number>;
  /**
   * Current loads, when rounding for a rebalance: among equal candidates the round-up goes to servers that
   * already hold more than the rounded-down value, so rounding alone never forces a cell to move.
   */
  current?: ArrayLike<number>;
  /** Breaks ties between equal remainders, values in [0, 1), higher first; default: lower index first. */
  priority?: ArrayLike<number>;
  /** Server indices per zone (membersOf), when the caller rounds many times over the same servers. */
  members?: readonly (readonly number[])[];
}

const EPSILON = 1e-9;

/**
 * Integers summing to `total`, each the floor or ceil of its target, within the server and zone caps.
 *
 * Two levels of largest-remainder rounding: first the zones' totals (each the floor or ceil of the sum of its
 * servers' targets, within the zone cap), then each zone's servers to that total. Rounding the servers in one
 * flat pass could leave a zone one short in one round and one over its cap in the next.
 */
export function apportion(input: ApportionInput): Int32Array {
  const { targets, total, serverCap, zoneOf, zoneCaps, current, priority } = input;
  const zoneCount = zoneCaps.length;
  const zoneTargets = new Float64Array(zoneCount);
  const zoneCurrent = current === undefined ? undefined : new Float64Array(zoneCount);
  for (let i = 0; i < targets.length; i++) {
    const z = zoneOf[i]!;
    zoneTargets[z]! += targets[i]!;
    if (zoneCurrent !== undefined) zoneCurrent[z]! += current![i]!;
  }
  const members = input.members ?? membersOf(zoneOf, zoneCount);
  // A zone's tie-break is that of its best member (for a zone of one server, the server's own).
  let zonePriority: Float64Array | undefined;
  if (priority !== undefined) {
    zonePriority = new Float64Array(zoneCount);
    for (let i = 0; i < targets.length; i++) {
      const z = zoneOf[i]!;
      if (priority[i]! > zonePriority[z]!) zonePriority[z] = priority[i]!;
    }
  }
  const zoneTotals = roundToTotal(zoneTargets, total, zoneCaps, zoneCurrent, zonePriority);
  const result = new Int32Array(targets.length);
  for (let z = 0; z < zoneCount; z++) {
    const ids = members[z]!;
    if (ids.length === 1) {
      result[ids[0]!] = Math.min(serverCap, zoneTotals[z]!);
      continue;
    }
    const rounded = roundToTotal(
      ids.map((i) => targets[i]!),
      zoneTotals[z]!,
      serverCap,
      current === undefined ? undefined : ids.map((i) => current[i]!),
      priority === undefined ? undefined : ids.map((i) => priority[i]!),
    );
    ids.forEach((i, k) => (result[i] = rounded[k]!));
  }
  return result;
}

/** Server indices per zone. */
export function membersOf(zoneOf: Int32Array, zoneCount: number): number[][] {
  const members: number[][] = Array.from({ length: zoneCount }, () => []);
  for (let i = 0; i < zoneOf.length; i++) members[zoneOf[i]!]!.push(i);
  return members;
}

/**
 * Largest remainder: floors first, then +1 to the largest remainders (sticky ones first) until the total is
 * reached, never above a cap. When the targets respect the caps and sum to the total, every result is the
 * floor or ceil of its target.
 */
function roundToTotal(
  targets: ArrayLike<number>,
  total: number,
  caps: ArrayLike<number> | number,
  current: ArrayLike<number> | undefined,
  priority: ArrayLike<number> | undefined,
): Int32Array {
  const n = targets.length;
  const capOf = (i: number): number => (typeof caps === 'number' ? caps : caps[i]!);
  const result = new Int32Array(n);
  let assigned = 0;
  for (let i = 0; i < n; i++) {
    result[i] = Math.min(capOf(i), Math.max(0, Math.floor(targets[i]! + EPSILON)));
    assigned += result[i]!;
  }
  if (assigned === total) return result;
  // One numeric sort key per item, so that the sort is the engine's native one (this runs once per block of
  // a build): sticky first, then the remainder (in steps of 2^-20, so that remainders equal up to float
  // noise tie), then the tie-break (8 bits), then the lower index. 1 + 21 + 8 + 16 bits fit a double exactly.
  const remainder = new Float64Array(n);
  const packed = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    remainder[i] = targets[i]! - result[i]!;
    const sticky = current !== undefined && current[i]! > result[i]! ? 1 : 0;
    const rank = Math.min(0x1fffff, Math.max(0, Math.round(remainder[i]! * 0x100000)));
    const tie = priority === undefined ? 0 : Math.min(255, Math.floor(priority[i]! * 256));
    packed[i] = ((sticky * 0x200000 + rank) * 256 + tie) * 65536 + (65535 - i);
  }
  packed.sort();
  const order = new Int32Array(n);
  for (let k = 0; k < n; k++) order[k] = 65535 - (packed[n - 1 - k]! % 65536);
  // Pass 1 rounds up only real remainders; the later passes absorb float noise and clamped targets.
  for (let pass = 0; pass < 3 && assigned < total; pass++) {
    for (const i of order) {
      if (assigned >= total) break;
      if (pass === 0 && remainder[i]! <= EPSILON) continue;
      if (result[i]! + 1 > capOf(i)) continue;
      result[i]! += 1;
      assigned += 1;
    }
  }
  for (let k = n - 1; k >= 0 && assigned > total; k--) {
    const i = order[k]!;
    const take = Math.min(result[i]!, assigned - total);
    result[i]! -= take;
    assigned -= take;
  }
  return result;
}

/** Integer cell counts per server for a whole matrix: the fair shares rounded (see apportion). */
export function integerQuotas(
  shares: ArrayLike<number>,
  rule: ZoneRule,
  partitions: number,
  replicas: number,
  current?: ArrayLike<number>,
): Int32Array {
  const zoneCaps = Float64Array.from(rule.zoneNames, (_, z) => zoneRowCap(rule, z) * partitions);
  return apportion({
    targets: shares,
    total: partitions * replicas,
    serverCap: partitions,
    zoneOf: rule.zoneOf,
    zoneCaps,
    ...(current === undefined ? {} : { current }),
  });
}
