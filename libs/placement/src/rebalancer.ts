import { RedoubtError } from '@redoubt/errors';
import { hashString } from './deterministic-random.js';
import { fairShares, integerQuotas } from './fair-share.js';
import { fillHoles } from './hole-filler.js';
import { transferLoad } from './load-transfer.js';
import { createMatrix } from './placement-matrix.js';
import {
  EMPTY_CELL,
  type PlacementMatrix,
  type RebalanceOptions,
  type ServerSpec,
} from './placement-types.js';
import { balancePrimaries } from './primary-balance.js';
import { RebalanceState } from './rebalance-state.js';
import { checkEpoch, checkReplicas, checkServers, indexById } from './server-list.js';
import { zoneRule, type ZoneRule } from './zone-rule.js';

/**
 * The matrix of the next epoch for a changed server list, changing as few cells as possible.
 *
 * 1. Carry over every replica whose server is still listed. Drop only what must go: replicas of removed
 *    servers, replicas that now break the zone rule (a server changed zone, or more zones exist), and the
 *    extra ones when R shrinks; among candidates the server furthest above its new quota goes first.
 * 2. New quotas from the new list (fair-share.ts), rounded towards the current loads so that rounding alone
 *    never moves a cell.
 * 3. Fill the holes with servers below quota (hole-filler.ts): one change per hole.
 * 4. Move cells from servers above quota to servers below (load-transfer.ts): one change per unit of surplus.
 * 5. Even out the primaries by reordering rows (primary-balance.ts), which moves no data.
 *
 * Steps 3 and 4 together change (holes + surplus) cells, which is the lower bound for reaching the quotas:
 * every hole must be written, and every cell above a quota must leave its server.
 */
export function rebalance(
  previous: PlacementMatrix,
  servers: readonly ServerSpec[],
  options: RebalanceOptions = {},
): PlacementMatrix {
  const list = checkServers(servers);
  const { partitions } = previous;
  if (previous.cells.length !== partitions * previous.replicas) {
    throw new RedoubtError('PLACEMENT_INVALID', 'the previous matrix has the wrong number of cells', {
      cells: previous.cells.length,
      partitions,
      replicas: previous.replicas,
    });
  }
  const replicas = checkReplicas(options.replicas ?? previous.replicas, list.length);
  const epoch = checkEpoch(previous.epoch + 1);
  const rule = zoneRule(list, replicas);
  const carried = carryOver(previous, list);
  const quota = integerQuotas(
    fairShares(list, rule, partitions, replicas),
    rule,
    partitions,
    replicas,
    carried.load,
  );
  const seed = hashString(`${epoch}/${partitions}/${replicas}/${list.map((s) => s.id).join('\u0000')}`);
  const cells = new Uint16Array(partitions * replicas).fill(EMPTY_CELL);
  const holes = trimRows(previous, carried, cells, replicas, rule, quota);
  const state = new RebalanceState(cells, partitions, replicas, quota, rule.zoneOf, rule.maxPerZone, seed);
  fillHoles(state, holes);
  transferLoad(state);
  balancePrimaries(cells, partitions, replicas, state.load, seed, false);
  return createMatrix({ epoch, partitions, replicas, servers: list, cells });
}

interface CarriedLoad {
  /** previous column -> new index, -1 when the server left. */
  toNew: Int32Array;
  /** Cells per new server that the previous matrix already holds. */
  load: Int32Array;
}

function carryOver(previous: PlacementMatrix, list: readonly ServerSpec[]): CarriedLoad {
  const index = indexById(list);
  const toNew = Int32Array.from(previous.servers, (server) => index.get(server.id) ?? -1);
  const load = new Int32Array(list.length);
  const { cells, replicas } = previous;
  for (let p = 0, base = 0; p < previous.partitions; p++, base += replicas) {
    for (let r = 0; r < replicas; r++) {
      const s = mapped(toNew, cells[base + r]!);
      if (s >= 0 && !seenBefore(toNew, cells, base, r, s)) load[s]! += 1;
    }
  }
  return { toNew, load };
}

function mapped(toNew: Int32Array, column: number): number {
  return column < toNew.length ? toNew[column]! : -1;
}

function seenBefore(toNew: Int32Array, cells: Uint16Array, base: number, r: number, s: number): boolean {
  for (let q = 0; q < r; q++) if (mapped(toNew, cells[base + q]!) === s) return true;
  return false;
}

/**
 * Writes the kept replicas of every row into `cells` and returns the indices of the empty cells. A kept
 * replica stays in its slot (so primaries stay primaries) unless R shrank below its slot.
 */
function trimRows(
  previous: PlacementMatrix,
  carried: CarriedLoad,
  cells: Uint16Array,
  replicas: number,
  rule: ZoneRule,
  quota: Int32Array,
): Int32Array {
  const { toNew, load } = carried;
  const oldReplicas = previous.replicas;
  const oldCells = previous.cells;
  const keep = new Int32Array(oldReplicas); // new server index per old slot, -1 dropped
  const zoneCount = new Int32Array(rule.zoneNames.length);
  const holes: number[] = [];
  const surplus = (s: number): number => load[s]! - quota[s]!;
  for (
    let p = 0, oldBase = 0, base = 0;
    p < previous.partitions;
    p++, oldBase += oldReplicas, base += replicas
  ) {
    let kept = 0;
    zoneCount.fill(0);
    for (let r = 0; r < oldReplicas; r++) {
      const s = mapped(toNew, oldCells[oldBase + r]!);
      keep[r] = s >= 0 && !seenBefore(toNew, oldCells, oldBase, r, s) ? s : -1;
      if (keep[r]! >= 0) {
        kept += 1;
        zoneCount[rule.zoneOf[s]!]! += 1;
      }
    }
    // Zone breaches first (dropping one of those may also bring the count down to a shrunk R), then the
    // count: each time the most over-quota candidate goes, until the row fits.
    for (;;) {
      let drop = -1;
      let dropBreaches = false;
      for (let r = 0; r < oldReplicas; r++) {
        const s = keep[r]!;
        if (s < 0) continue;
        const breaches = zoneCount[rule.zoneOf[s]!]! > rule.maxPerZone;
        if (!breaches && (kept <= replicas || dropBreaches)) continue;
        if (drop < 0 || (breaches && !dropBreaches) || surplus(s) > surplus(keep[drop]!)) {
          drop = r;
          dropBreaches = breaches;
        }
      }
      if (drop < 0) break;
      const s = keep[drop]!;
      keep[drop] = -1;
      kept -= 1;
      zoneCount[rule.zoneOf[s]!]! -= 1;
      load[s]! -= 1;
    }
    // Slots first, then whatever no longer has its slot goes to the first free one.
    for (let r = 0; r < oldReplicas; r++) {
      if (keep[r]! >= 0 && r < replicas) {
        cells[base + r] = keep[r]!;
        keep[r] = -1;
      }
    }
    let free = 0;
    for (let r = 0; r < oldReplicas; r++) {
      if (keep[r]! < 0) continue;
      while (cells[base + free] !== EMPTY_CELL) free += 1;
      cells[base + free] = keep[r]!;
    }
    for (let r = 0; r < replicas; r++) if (cells[base + r] === EMPTY_CELL) holes.push(base + r);
  }
  return Int32Array.from(holes);
}
