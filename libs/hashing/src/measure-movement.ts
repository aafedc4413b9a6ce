import { assertSample } from './measure-balance.js';
import type { ServerMappingStrategy } from './server-mapping-strategy.js';

export interface MovementMeasure {
  /** keys whose server differs between `before` and `after` */
  moved: number;
  /** moved / keys */
  fraction: number;
  /**
   * The least fraction any strategy must move for this membership change, when both strategies list their
   * servers: the total variation distance between the two target shares, `sum_s max(0, share_before(s) -
   * share_after(s))`. For equal weights that is 1/(N+1) for one server added to N and 1/N for one removed.
   */
  minimumFraction?: number;
}

/** How many keys of the sample change server from `before` to `after` (e.g. one server added or removed). */
export function measureMovement(
  before: ServerMappingStrategy,
  after: ServerMappingStrategy,
  keyHashes: readonly bigint[] | BigUint64Array,
): MovementMeasure {
  const keys = assertSample(keyHashes);
  let moved = 0;
  for (let i = 0; i < keys; i++) {
    const keyHash = keyHashes[i]!;
    if (before.serverFor(keyHash) !== after.serverFor(keyHash)) moved++;
  }
  const result: MovementMeasure = { moved, fraction: moved / keys };
  if (before.servers && after.servers)
    result.minimumFraction = minimumMovedFraction(before.servers, after.servers);
  return result;
}

function minimumMovedFraction(
  before: readonly { id: string; weight: number }[],
  after: readonly { id: string; weight: number }[],
): number {
  const shares = (servers: readonly { id: string; weight: number }[]): Map<string, number> => {
    const total = servers.reduce((sum, s) => sum + s.weight, 0);
    return new Map(servers.map((s) => [s.id, s.weight / total]));
  };
  const beforeShares = shares(before);
  const afterShares = shares(after);
  let lost = 0;
  for (const [id, share] of beforeShares) lost += Math.max(0, share - (afterShares.get(id) ?? 0));
  return lost;
}
