import { mix32, scatteredOrder } from './deterministic-random.js';
import type { RebalanceState } from './rebalance-state.js';

/**
 * Fills the empty cells (replicas of removed servers, replicas dropped for the zone rule, new slots when R
 * grew) with servers below their quota. Each hole is one unavoidable change, so the aim is that every hole is
 * filled by a server that needs cells: then the number of changed cells is exactly the number of holes.
 *
 * This is a b-matching of holes to needy servers, solved greedily with two safeguards:
 * - Urgency: a hole goes to the eligible needy server with the largest need / (holes still open to it). A
 *   heavy server that already sits in most rows can only take the few holes in rows without it, so it gets
 *   them before lighter servers use them up. Ties break on a hash of row and server, which spreads replicas.
 * - Augmenting paths: when no eligible server needs cells, an earlier fill hands its server to this hole and
 *   takes another server, possibly through a chain of such swaps (breadth-first over servers). That costs
 *   nothing, since every cell on the chain was a hole anyway.
 * Only when both fail does the hole take any eligible server (least loaded), leaving a surplus for the load
 * transfer to move on, at the price of extra changed cells.
 */
export function fillHoles(state: RebalanceState, holes: Int32Array): void {
  if (holes.length === 0) return;
  const filler = new HoleFiller(state, holes);
  // A scattered order: in row order, the last rows of a long run of alike rows would find that the rows
  // before them had used up the only servers that can stand there.
  const { start, stride } = scatteredOrder(holes.length, state.seed);
  for (let h = 0, k = start; h < holes.length; h++, k = (k + stride) % holes.length) filler.fill(k);
}

/** Bounds the augmenting-path searches of one rebalance (in canPlace checks) so a pathological input ends. */
const SEARCH_BUDGET = 20_000_000;

class HoleFiller {
  private readonly open: Uint8Array;
  /** Open holes where each server may stand. */
  private readonly available: Int32Array;
  /** Holes filled so far by each server (may hold stale entries after a swap; checked on use). */
  private readonly fillsOf: number[][];
  private budget = SEARCH_BUDGET;

  constructor(
    private readonly state: RebalanceState,
    private readonly holes: Int32Array,
  ) {
    this.open = new Uint8Array(holes.length).fill(1);
    this.available = new Int32Array(state.serverCount);
    this.fillsOf = Array.from({ length: state.serverCount }, () => []);
    for (let k = 0; k < holes.length; k++) this.countEligible(k, 1);
  }

  private rowOf(k: number): number {
    return Math.floor(this.holes[k]! / this.state.replicas);
  }

  private slotOf(k: number): number {
    return this.holes[k]! - this.rowOf(k) * this.state.replicas;
  }

  /** Adds `sign` to available[s] for every server that may stand in hole k. */
  private countEligible(k: number, sign: number): void {
    const { state } = this;
    const p = this.rowOf(k);
    const slot = this.slotOf(k);
    for (let s = 0; s < state.serverCount; s++) if (state.canPlace(p, s, slot)) this.available[s]! += sign;
  }

  /** Open holes in the same row as hole k (holes are sorted by cell, so they are neighbours). */
  private openInRow(k: number): number[] {
    const p = this.rowOf(k);
    const found: number[] = [];
    for (let j = k - 1; j >= 0 && this.rowOf(j) === p; j--) if (this.open[j]) found.push(j);
    for (let j = k + 1; j < this.holes.length && this.rowOf(j) === p; j++) if (this.open[j]) found.push(j);
    return found;
  }

  fill(k: number): void {
    const { state } = this;
    const p = this.rowOf(k);
    const slot = this.slotOf(k);
    // Hole k closes, and what it puts in the row may close its row-mates to some servers.
    const rowMates = this.openInRow(k);
    this.countEligible(k, -1);
    for (const j of rowMates) this.countEligible(j, -1);
    let s = this.mostUrgent(p, slot);
    if (s < 0) s = this.augment(k);
    if (s < 0) s = this.leastLoaded(p, slot);
    state.place(this.holes[k]!, s);
    this.fillsOf[s]!.push(k);
    this.open[k] = 0;
    for (const j of rowMates) this.countEligible(j, 1);
  }

  private mostUrgent(p: number, slot: number): number {
    const { state } = this;
    let best = -1;
    let bestUrgency = 0;
    let bestTie = 0;
    for (let s = 0; s < state.serverCount; s++) {
      const need = state.need(s);
      if (need <= 0) continue;
      const urgency = need / (this.available[s]! + 1);
      if (urgency < bestUrgency) continue;
      const tie = mix32(state.seed ^ p, s);
      if (urgency === bestUrgency && tie <= bestTie) continue;
      if (!state.canPlace(p, s, slot)) continue;
      best = s;
      bestUrgency = urgency;
      bestTie = tie;
    }
    return best;
  }

  /**
   * Breadth-first over servers: hole k may take s0 (eligible, no need), if a hole filled by s0 may take s1
   * instead, ... until some s_n still needs cells. Applies the chain and returns s0, or -1.
   */
  private augment(k: number): number {
    const { state } = this;
    const n = state.serverCount;
    const p = this.rowOf(k);
    const slot = this.slotOf(k);
    const parent = new Int32Array(n).fill(-2); // -1: stands in hole k directly
    const via = new Int32Array(n).fill(-1); // the hole whose server it replaces
    const queue: number[] = [];
    for (let s = 0; s < n; s++) {
      if (state.canPlace(p, s, slot)) {
        parent[s] = -1;
        queue.push(s);
      }
    }
    this.budget -= n;
    let found = -1;
    for (let head = 0; head < queue.length && found < 0 && this.budget > 0; head++) {
      const a = queue[head]!;
      for (const j of this.fillsOf[a]!) {
        if (found >= 0 || this.budget <= 0) break;
        const cell = this.holes[j]!;
        if (state.cells[cell] !== a) continue;
        const q = this.rowOf(j);
        const qSlot = this.slotOf(j);
        for (let b = 0; b < n; b++) {
          if (parent[b] !== -2) continue;
          this.budget -= 1;
          if (!state.canPlace(q, b, qSlot)) continue;
          parent[b] = a;
          via[b] = j;
          if (state.need(b) > 0) {
            found = b;
            break;
          }
          queue.push(b);
        }
      }
    }
    if (found < 0) return -1;
    // found replaces its parent in hole via[found], that one replaces its parent, ..., s0 goes into hole k.
    // The links were checked against the state before any of them; re-check each as it is applied.
    const done: Array<[number, number]> = [];
    let b = found;
    while (parent[b]! >= 0) {
      const j = via[b]!;
      const cell = this.holes[j]!;
      const q = this.rowOf(j);
      if (state.cells[cell] !== parent[b] || !state.canPlace(q, b, cell - q * state.replicas)) {
        for (const [undoCell, server] of done.reverse()) state.place(undoCell, server);
        return -1;
      }
      done.push([cell, parent[b]!]);
      state.place(cell, b);
      this.fillsOf[b]!.push(j);
      b = parent[b]!;
    }
    return state.canPlace(p, b, slot) ? b : -1;
  }

  /** Always finds a server: R-1 filled cells cannot use up both the servers and the zones' room in a row. */
  private leastLoaded(p: number, slot: number): number {
    const { state } = this;
    let best = -1;
    let bestRatio = Infinity;
    for (let s = 0; s < state.serverCount; s++) {
      const ratio = (state.load[s]! + 1) / Math.max(1, state.quota[s]!);
      if (ratio < bestRatio && state.canPlace(p, s, slot)) {
        best = s;
        bestRatio = ratio;
      }
    }
    return best;
  }
}
