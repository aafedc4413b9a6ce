import { RedoubtError } from '@redoubt/errors';
import { mix32, scatteredOrder } from './deterministic-random.js';
import type { RebalanceState } from './rebalance-state.js';

/**
 * Moves cells from servers above their quota (donors) to servers below it (receivers). Every move takes one
 * cell from a donor and gives it to a receiver, so it reduces the imbalance by one: the number of moves is the
 * sum of the surpluses, which is the minimum any algorithm needs to reach these quotas.
 *
 * Direct moves: each receiver (least flexible first) walks the rows in a scattered order and takes, in every
 * row where it may stand, the cell of the donor that is most urgent for it (see directMoves). When no direct
 * move exists for what is left (the receiver is already in, or its zone is full in, every row that still
 * holds a donor), a shortest chain is searched instead: donor -> t1 -> ... -> receiver, each arrow one cell
 * replaced in some row. A chain of k arrows costs k changed cells for one unit of imbalance; it is only
 * needed in corner cases.
 */
export function transferLoad(state: RebalanceState): void {
  const maxRounds = 4 + state.serverCount;
  for (let round = 0; round < maxRounds; round++) {
    if (!hasDonor(state)) return;
    const receivers = receiversByUrgency(state);
    if (receivers.length === 0) return;
    let moved = 0;
    for (const s of receivers) moved += directMoves(state, s, false);
    if (moved > 0) continue;
    // Each chain fixes one unit; bound the attempts by what is left so that a hopeless case ends.
    let remaining = 0;
    for (const s of receivers) remaining += state.need(s);
    let chained = 0;
    while (chained < remaining && moveAlongChain(state)) chained += 1;
    if (chained === 0) return;
  }
}

/**
 * Needy servers, the least flexible first: need / (rows where a direct move is open to it). A receiver whose
 * zone is nearly everywhere can only use the few rows without it; a new server in a zone of its own can use
 * any row, so it goes last and takes what the others cannot.
 */
function receiversByUrgency(state: RebalanceState): number[] {
  const needy: number[] = [];
  for (let s = 0; s < state.serverCount; s++) if (state.need(s) > 0) needy.push(s);
  if (needy.length < 2) return needy;
  const urgency = new Map<number, number>();
  for (const s of needy) urgency.set(s, state.need(s) / (directMoves(state, s, true) + 1));
  return [...urgency.keys()].sort((a, b) => urgency.get(b)! - urgency.get(a)! || a - b);
}

function hasDonor(state: RebalanceState): boolean {
  for (let s = 0; s < state.serverCount; s++) if (state.surplus(s) > 0) return true;
  return false;
}

/**
 * Makes the direct moves open to receiver s, or with `countOnly` just counts the rows where one is open.
 *
 * In each row the receiver takes the cell of the donor that is most urgent for it: largest surplus / (rows
 * left in the walk where s could replace that donor). A donor in s's own zone can be replaced wherever it
 * stands; one in another zone only in rows where s's zone has room, so those few rows are spent on it.
 */
function directMoves(state: RebalanceState, s: number, countOnly: boolean): number {
  const { partitions, replicas, cells, zoneOf, maxPerZone } = state;
  const zone = zoneOf[s]!;
  const { start, stride } = scatteredOrder(partitions, mix32(state.seed, s));
  // Rows (in the rest of the walk) where s may replace each donor.
  const open = new Int32Array(state.serverCount);
  const walk = (act: boolean): number => {
    let moved = 0;
    let p = start;
    for (let k = 0; k < partitions && (!act || state.need(s) > 0); k++, p = (p + stride) % partitions) {
      const base = p * replicas;
      let sameZone = 0;
      let present = false;
      for (let r = 0; r < replicas; r++) {
        const c = cells[base + r]!;
        if (c === s) present = true;
        else if (zoneOf[c] === zone) sameZone += 1;
      }
      if (present) continue;
      let bestSlot = -1;
      let bestUrgency = 0;
      for (let r = 0; r < replicas; r++) {
        const d = cells[base + r]!;
        const surplus = state.surplus(d);
        // Replacing d frees a place in d's zone; otherwise s's zone must have room.
        if (surplus <= 0 || (zoneOf[d] !== zone && sameZone >= maxPerZone)) continue;
        if (!act) {
          open[d]! += 1;
          bestSlot = r;
          continue;
        }
        const urgency = surplus / open[d]!;
        open[d]! -= 1;
        if (urgency > bestUrgency) {
          bestSlot = r;
          bestUrgency = urgency;
        }
      }
      if (bestSlot < 0) continue;
      if (act) state.place(base + bestSlot, s);
      moved += 1;
    }
    return moved;
  };
  const openRows = walk(false);
  return countOnly || openRows === 0 ? openRows : walk(true);
}

/**
 * Breadth-first search over servers: an edge a -> b means "b may replace a in some row". From all donors to
 * the nearest receiver; then the replacements are applied along the chain.
 */
function moveAlongChain(state: RebalanceState): boolean {
  const { cells, replicas, serverCount } = state;
  const parent = new Int32Array(serverCount).fill(-2);
  const via = new Int32Array(serverCount).fill(-1);
  const queue: number[] = [];
  for (let s = 0; s < serverCount; s++) {
    if (state.surplus(s) > 0) {
      parent[s] = -1;
      queue.push(s);
    }
  }
  let found = -1;
  for (let head = 0; head < queue.length && found < 0; head++) {
    const a = queue[head]!;
    for (let i = 0; i < cells.length && found < 0; i++) {
      if (cells[i] !== a) continue;
      const p = Math.floor(i / replicas);
      const slot = i - p * replicas;
      for (let b = 0; b < serverCount; b++) {
        if (parent[b] !== -2 || !state.canPlace(p, b, slot)) continue;
        parent[b] = a;
        via[b] = i;
        if (state.need(b) > 0) {
          found = b;
          break;
        }
        queue.push(b);
      }
    }
  }
  if (found < 0) return false;
  const chain: number[] = [];
  for (let b = found; parent[b]! >= 0; b = parent[b]!) chain.push(b);
  chain.reverse(); // donor's replacement first
  // The witnesses were found on the state before any of these edits; re-check each one as it is applied and
  // undo the chain if two links happen to share a row and clash.
  const undo: Array<[number, number]> = [];
  for (const b of chain) {
    const i = via[b]!;
    const p = Math.floor(i / replicas);
    if (cells[i] !== parent[b] || !state.canPlace(p, b, i - p * replicas)) {
      for (const [cell, server] of undo.reverse()) {
        state.place(cell, server);
      }
      return false;
    }
    undo.push([i, cells[i]!]);
    state.place(i, b);
  }
  if (undo.length === 0) throw new RedoubtError('INTERNAL', 'empty transfer chain');
  return true;
}
