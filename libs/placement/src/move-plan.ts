import { RedoubtError } from '@redoubt/errors';
import type { Move, MovePlan, PlacementMatrix } from './placement-types.js';

/**
 * The move plan from matrix a to matrix b: per partition, the replicas that b has and a has not, paired with
 * the ones a has and b has not. Replica sets are compared by server id, so a change of column order or of
 * primary alone moves no data. A pair keeps the slot when it can (the replica that replaced another in the
 * same slot is its move); unpaired ones are pure additions (from null) or drops (to null), which happens when
 * R changed.
 */
export function diff(a: PlacementMatrix, b: PlacementMatrix): MovePlan {
  if (a.partitions !== b.partitions) {
    throw new RedoubtError(
      'PLACEMENT_INVALID',
      `cannot diff matrices over ${a.partitions} and ${b.partitions} partitions`,
      { from: a.partitions, to: b.partitions },
    );
  }
  if (b.epoch < a.epoch) {
    throw new RedoubtError('PLACEMENT_STALE_EPOCH', `cannot plan from epoch ${a.epoch} back to ${b.epoch}`, {
      fromEpoch: a.epoch,
      toEpoch: b.epoch,
    });
  }
  // One id space for both matrices: key[column] is a small integer per distinct server id, -1 for a column
  // the matrix does not have (empty or damaged cells), so rows compare without string work.
  const ids: string[] = [];
  const keyOf = new Map<string, number>();
  const keys = (m: PlacementMatrix): Int32Array =>
    Int32Array.from(m.servers, (server) => {
      let key = keyOf.get(server.id);
      if (key === undefined) {
        key = ids.length;
        keyOf.set(server.id, key);
        ids.push(server.id);
      }
      return key;
    });
  const keysA = keys(a);
  const keysB = keys(b);
  const rowA = new Int32Array(a.replicas);
  const rowB = new Int32Array(b.replicas);
  const gone = new Int32Array(a.replicas);
  const moves: Move[] = [];
  let partitionsAffected = 0;
  for (let p = 0; p < a.partitions; p++) {
    readRow(a, keysA, p, rowA);
    readRow(b, keysB, p, rowB);
    // What left: in a, not in b. What arrived: in b, not in a.
    for (let r = 0; r < rowA.length; r++) gone[r] = rowA[r]! >= 0 && !rowB.includes(rowA[r]!) ? rowA[r]! : -1;
    let arrived = false;
    for (let r = 0; r < rowB.length; r++) {
      const to = rowB[r]!;
      if (to < 0 || rowA.includes(to)) continue;
      arrived = true;
      // Prefer the replica that sat in the same slot; otherwise any that left.
      const k = r < gone.length && gone[r]! >= 0 ? r : gone.findIndex((key) => key >= 0);
      moves.push({ partition: p, from: k >= 0 ? ids[gone[k]!]! : null, to: ids[to]! });
      if (k >= 0) gone[k] = -1;
    }
    let dropped = false;
    for (const key of gone) {
      if (key < 0) continue;
      dropped = true;
      moves.push({ partition: p, from: ids[key]!, to: null });
    }
    if (arrived || dropped) partitionsAffected += 1;
  }
  return { fromEpoch: a.epoch, toEpoch: b.epoch, moves, replicasAffected: moves.length, partitionsAffected };
}

function readRow(m: PlacementMatrix, keys: Int32Array, p: number, row: Int32Array): void {
  const base = p * m.replicas;
  for (let r = 0; r < row.length; r++) {
    const column = m.cells[base + r]!;
    row[r] = column < keys.length ? keys[column]! : -1;
  }
}
