import { RedoubtError } from '@redoubt/errors';
import { hash64 } from './hash64.js';
import type { NormalisedServer, ServerMappingStrategy } from './server-mapping-strategy.js';
import { loadedHi, loadedLo, loadUint64 } from './uint64-words.js';

/** Virtual nodes per unit of weight, as in ketama (40 hashes x 4 points = 160 points per server). */
export const DEFAULT_VNODES = 160;
/** Upper bound on the vnodes option. */
export const MAX_VNODES = 65_536;
/** Upper bound on the points of one ring (about 200 MB would be needed past this; nobody means that). */
export const MAX_RING_POINTS = 2 ** 24;

/**
 * Consistent hashing on a ring with virtual nodes. Server s gets `max(1, round(vnodes * weight))` points at
 * positions `hash64("<id>#<v>")` for v = 0, 1, ...; a key belongs to the first point at or after its own
 * position, wrapping around. Positions are the top 52 bits of the 64-bit hashes, so they compare exactly as
 * doubles in a Float64Array (binary search, no bigint). Points at equal positions are ordered by server id.
 *
 * Points per unit of weight (not a share of a total) keep every other server's points fixed when one joins or
 * leaves, so only the keys on the changed arcs move. Balance improves with vnodes (roughly 1 + c/sqrt(vnodes)).
 * The order of the input list does not matter.
 */
export function createRingStrategy(
  servers: readonly NormalisedServer[],
  vnodes = DEFAULT_VNODES,
): ServerMappingStrategy {
  assertVnodes(vnodes);
  const ids = servers.map((s) => s.id);
  const counts = servers.map((s) => Math.max(1, Math.round(vnodes * s.weight)));
  const total = counts.reduce((a, b) => a + b, 0);
  if (!(total <= MAX_RING_POINTS)) {
    throw new RedoubtError(
      'INVALID_ARGUMENT',
      `the ring would have ${total} points (at most ${MAX_RING_POINTS})`,
      {
        points: total,
        vnodes,
      },
    );
  }
  const idRank = new Int32Array(ids.length);
  ids
    .map((id, i) => ({ id, i }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .forEach(({ i }, rank) => (idRank[i] = rank));

  const rawPositions = new Float64Array(total);
  const rawOwners = new Int32Array(total);
  let p = 0;
  for (let i = 0; i < ids.length; i++) {
    for (let v = 0; v < counts[i]!; v++) {
      loadUint64(hash64(`${ids[i]}#${v}`));
      rawPositions[p] = position52(loadedHi(), loadedLo());
      rawOwners[p] = i;
      p++;
    }
  }
  const order = Array.from({ length: total }, (_, k) => k).sort(
    (a, b) => rawPositions[a]! - rawPositions[b]! || idRank[rawOwners[a]!]! - idRank[rawOwners[b]!]!,
  );
  const positions = Float64Array.from(order, (k) => rawPositions[k]!);
  const owners = Int32Array.from(order, (k) => rawOwners[k]!);

  return Object.freeze({
    name: 'ring',
    servers,
    vnodes,
    serverFor(keyHash: bigint): string {
      loadUint64(keyHash);
      const position = position52(loadedHi(), loadedLo());
      // first point with positions[index] >= position (lower bound); past the end wraps to the first point
      let low = 0;
      let high = total;
      while (low < high) {
        const mid = (low + high) >>> 1;
        if (positions[mid]! < position) low = mid + 1;
        else high = mid;
      }
      return ids[owners[low === total ? 0 : low]!]!;
    },
  });
}

/** Throws INVALID_ARGUMENT unless `vnodes` is an integer in [1, MAX_VNODES]. */
export function assertVnodes(vnodes: number): void {
  if (!Number.isInteger(vnodes) || vnodes < 1 || vnodes > MAX_VNODES) {
    throw new RedoubtError('INVALID_ARGUMENT', `vnodes must be an integer in [1, ${MAX_VNODES}]`, {
      vnodes: typeof vnodes === 'number' ? vnodes : String(vnodes),
    });
  }
}

/** The top 52 bits of a 64-bit value as an exact double: hi * 2^20 + (lo >>> 12) < 2^52. */
function position52(hi: number, lo: number): number {
  return hi * 1048576 + (lo >>> 12);
}
