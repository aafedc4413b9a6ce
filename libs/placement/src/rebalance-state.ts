import { EMPTY_CELL } from './placement-types.js';

/**
 * The mutable working copy a rebalance edits: cells, per-server load and quota, and the row rules. Every
 * edit goes through `canPlace` first, so the rows stay valid (R distinct servers, zone rule) at every step.
 */
export class RebalanceState {
  readonly load: Int32Array;

  constructor(
    readonly cells: Uint16Array,
    readonly partitions: number,
    readonly replicas: number,
    readonly quota: Int32Array,
    readonly zoneOf: Int32Array,
    readonly maxPerZone: number,
    readonly seed: number,
  ) {
    this.load = new Int32Array(quota.length);
    for (let i = 0; i < cells.length; i++) if (cells[i] !== EMPTY_CELL) this.load[cells[i]!]! += 1;
  }

  get serverCount(): number {
    return this.quota.length;
  }

  /** Cells s still has to receive (> 0) ... */
  need(s: number): number {
    return this.quota[s]! - this.load[s]!;
  }

  /** ... or has to give away (> 0). */
  surplus(s: number): number {
    return this.load[s]! - this.quota[s]!;
  }

  /**
   * Whether server s may take the cell at `slot` of row p (replacing whatever is there, which may be empty):
   * s is not elsewhere in the row and its zone stays within the rule.
   */
  canPlace(p: number, s: number, slot: number): boolean {
    const { cells, replicas, zoneOf } = this;
    const zone = zoneOf[s]!;
    let sameZone = 0;
    for (let r = 0, i = p * replicas; r < replicas; r++, i++) {
      if (r === slot) continue;
      const c = cells[i]!;
      if (c === s) return false;
      if (c !== EMPTY_CELL && zoneOf[c] === zone) sameZone += 1;
    }
    return sameZone < this.maxPerZone;
  }

  /** Puts s into cell i, keeping the loads current. */
  place(i: number, s: number): void {
    const previous = this.cells[i]!;
    if (previous !== EMPTY_CELL) this.load[previous]! -= 1;
    this.cells[i] = s;
    this.load[s]! += 1;
  }
}
