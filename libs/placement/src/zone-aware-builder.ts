import { hashString, seededRandom, shuffleInPlace } from './deterministic-random.js';
import { apportion, fairShares, integerQuotas, membersOf } from './fair-share.js';
import { createMatrix } from './placement-matrix.js';
import { balancePrimaries } from './primary-balance.js';
import {
  DEFAULT_PARTITIONS,
  DEFAULT_REPLICAS,
  type BuildOptions,
  type PlacementMatrix,
  type ServerSpec,
} from './placement-types.js';
import { checkEpoch, checkPartitions, checkReplicas, checkServers } from './server-list.js';
import { zoneRowCap, zoneRule, type ZoneRule } from './zone-rule.js';

/**
 * Builds a matrix from nothing, in O(P*R) with no search: every cell is written exactly once.
 *
 * 1. Fair shares: each server's cell count (fair-share.ts), rounded to integers that respect the caps.
 * 2. Wrap-around layout (McNaughton's rule): lay the servers' counts end to end on a line of R*P cells,
 *    zone by zone, and cut the line into R columns of P rows. A server with at most P cells covers any row at
 *    most once, so a row never repeats a server; a zone with at most L*P cells, laid out contiguously, covers
 *    any row at most L times, so the zone rule holds too. No row is ever checked or retried.
 * 3. Scatter: doing that once gives each server only a handful of neighbours (rows p and p+1 hold nearly the
 *    same servers), which would make a failed server's re-replication read from few peers. So the rows are
 *    cut into blocks, each block gets its share of every server's count (carried so the totals stay exact)
 *    and its own shuffled zone and server order and rotation.
 * 4. Primaries: column 0 of the line would make the first servers of each block primaries for everything
 *    they hold, so each row then takes as primary its member furthest below its primary share
 *    (primary-balance.ts).
 */
export function build(servers: readonly ServerSpec[], options: BuildOptions = {}): PlacementMatrix {
  const list = checkServers(servers);
  const partitions = checkPartitions(options.partitions ?? DEFAULT_PARTITIONS);
  const replicas = checkReplicas(options.replicas ?? DEFAULT_REPLICAS, list.length);
  const epoch = checkEpoch(options.epoch ?? 1);
  const rule = zoneRule(list, replicas);
  const quotas = integerQuotas(fairShares(list, rule, partitions, replicas), rule, partitions, replicas);
  const cells = layoutCells(list, rule, quotas, partitions, replicas);
  return createMatrix({ epoch, partitions, replicas, servers: list, cells });
}

/**
 * More blocks give more distinct replica sets and smoother co-location counts (so that when a server leaves,
 * every other server shares few enough of its partitions to take its share of them); each block costs O(T)
 * of rounding, and past a couple of blocks per server nothing measurable improves. A block keeps at least
 * 2T/R rows, so that every server has cells in it: in a block of a row or two the rounding picks servers with
 * equal shares in lockstep, and they would always share rows.
 */
function blockCount(partitions: number, serverCount: number, replicas: number): number {
  const affordable = Math.max(2 * serverCount, Math.floor(8192 / serverCount));
  const minRows = Math.ceil((2 * serverCount) / replicas);
  return Math.max(1, Math.min(Math.floor(partitions / minRows), 256, affordable));
}

export function layoutCells(
  servers: readonly ServerSpec[],
  rule: ZoneRule,
  quotas: Int32Array,
  partitions: number,
  replicas: number,
): Uint16Array {
  const cells = new Uint16Array(partitions * replicas);
  const seed = hashString(`${partitions}/${replicas}/${servers.map((s) => s.id).join('\u0000')}`);
  const blocks = blockCount(partitions, servers.length, replicas);
  if (!layoutBlocks(cells, rule, quotas, partitions, replicas, blocks, seed)) {
    // The carried per-block rounding cannot fail for caps that the global quotas respect, but one block
    // is always exact: the global quotas themselves.
    layoutBlocks(cells, rule, quotas, partitions, replicas, 1, seed);
  }
  balancePrimaries(cells, partitions, replicas, quotas, seed, true);
  return cells;
}

function layoutBlocks(
  cells: Uint16Array,
  rule: ZoneRule,
  quotas: Int32Array,
  partitions: number,
  replicas: number,
  blocks: number,
  seed: number,
): boolean {
  const serverCount = quotas.length;
  const zoneCount = rule.zoneNames.length;
  const random = seededRandom(seed);
  const members = membersOf(rule.zoneOf, zoneCount);
  const zoneOrder = Array.from({ length: zoneCount }, (_, z) => z);
  const cycle = members.reduce((longest, ids) => Math.max(longest, ids.length), 1);
  const steps = new Int32Array(zoneCount).fill(1);
  const assigned = new Float64Array(serverCount);
  const targets = new Float64Array(serverCount);
  const tieBreak = new Float64Array(serverCount);
  const zoneCaps = new Float64Array(zoneCount);
  let rowStart = 0;
  for (let b = 0; b < blocks; b++) {
    const rowEnd = Math.round(((b + 1) * partitions) / blocks);
    const rows = rowEnd - rowStart;
    if (rows === 0) continue;
    // This block's count for each server: its exact cumulative share so far, minus what it already got.
    let counts: ArrayLike<number> = quotas;
    if (blocks > 1) {
      for (let s = 0; s < serverCount; s++) targets[s] = (quotas[s]! * rowEnd) / partitions - assigned[s]!;
      for (let z = 0; z < zoneCount; z++) zoneCaps[z] = zoneRowCap(rule, z) * rows;
      for (let s = 0; s < serverCount; s++) tieBreak[s] = random();
      counts = apportion({
        priority: tieBreak,
        members,
        targets,
        total: rows * replicas,
        serverCap: rows,
        zoneOf: rule.zoneOf,
        zoneCaps,
      });
      let sum = 0;
      for (let s = 0; s < serverCount; s++) {
        sum += counts[s]!;
        assigned[s]! += counts[s]!;
      }
      if (sum !== rows * replicas) return false;
    }
    // Orders: every `cycle` blocks (the size of the largest zone) a fresh random zone order and server order
    // in each zone; in between, the servers of each zone rotate by one position per block. Under a fixed zone
    // order a server's position in its zone's run decides which zones it meets, so taking every position in
    // turn gives each server the same share of rows with each other zone. Each zone rotates by its own step
    // (coprime to its size, so every position still comes once per cycle), so that servers of different
    // zones do not move in lockstep and keep meeting new partners. (Fully random orders per block
    // leave some server sharing a third more of its rows with one zone than with another, and when it leaves,
    // the zone short of rows cannot take its share of the holes.) Fresh orders keep replica sets scattered.
    if (b % cycle === 0) {
      shuffleInPlace(zoneOrder, random);
      members.forEach((inZone, z) => {
        shuffleInPlace(inZone, random);
        steps[z] = rotationStep(inZone.length, random);
      });
    }
    // Walk the block's line of rows*R positions from a random offset; position k is column floor(k/rows),
    // row k mod rows. The walk is circular, which keeps every server's and zone's run contiguous on a circle:
    // the same argument as on a line.
    const length = rows * replicas;
    const offset = Math.floor(random() * length);
    let row = offset % rows;
    let column = Math.floor(offset / rows);
    let cell = (rowStart + row) * replicas + column;
    for (const z of zoneOrder) {
      const inZone = members[z]!;
      const shift = (b * steps[z]!) % inZone.length;
      for (let j = 0; j < inZone.length; j++) {
        const s = inZone[(j + shift) % inZone.length]!;
        for (let k = counts[s]!; k > 0; k--) {
          cells[cell] = s;
          cell += replicas;
          if (++row === rows) {
            row = 0;
            if (++column === replicas) column = 0;
            cell = rowStart * replicas + column;
          }
        }
      }
    }
    rowStart = rowEnd;
  }
  if (blocks > 1) {
    for (let s = 0; s < serverCount; s++) if (assigned[s] !== quotas[s]) return false;
  }
  return true;
}

/** A random step in 1..size-1 coprime to size (1 for a zone of one or two servers). */
function rotationStep(size: number, random: () => number): number {
  if (size <= 2) return 1;
  for (;;) {
    const step = 1 + Math.floor(random() * (size - 1));
    let [a, b] = [step, size];
    while (b !== 0) [a, b] = [b, a % b];
    if (a === 1) return step;
  }
}
