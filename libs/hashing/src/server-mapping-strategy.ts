import { RedoubtError } from '@redoubt/errors';

/** A server a strategy can map keys to. `weight` (default 1) is its relative capacity. */
export interface WeightedServer {
  id: string;
  weight?: number;
}

/**
 * Maps a 64-bit key hash to one server id. Every strategy sits behind this one interface so that balance and
 * movement can be measured the same way for all of them.
 */
export interface ServerMappingStrategy {
  readonly name: string;
  serverFor(keyHash: bigint): string;
  /**
   * The servers with their effective weights, when the strategy knows them (all built-in strategies do).
   * Measures use it to count servers that received no key and to compute the minimum possible movement.
   */
  readonly servers?: readonly Readonly<Required<WeightedServer>>[];
}

export type NormalisedServer = Readonly<Required<WeightedServer>>;

/**
 * Checks a server list and fills in default weights. Throws RedoubtError:
 * INVALID_ARGUMENT for an empty list or an id that is not a non-empty string, PLACEMENT_DUPLICATE_SERVER for an
 * id given twice, PLACEMENT_BAD_WEIGHT for a weight that is not a positive finite number.
 */
export function normaliseServers(servers: readonly WeightedServer[]): readonly NormalisedServer[] {
  if (!Array.isArray(servers) || servers.length === 0) {
    throw new RedoubtError('INVALID_ARGUMENT', 'a strategy needs at least one server', {
      servers: Array.isArray(servers) ? 0 : typeof servers,
    });
  }
  const seen = new Set<string>();
  const result: NormalisedServer[] = [];
  for (const [index, server] of servers.entries()) {
    const id: unknown = server?.id;
    if (typeof id !== 'string' || id.length === 0) {
      throw new RedoubtError('INVALID_ARGUMENT', 'a server id must be a non-empty string', { index });
    }
    if (seen.has(id)) {
      throw new RedoubtError('PLACEMENT_DUPLICATE_SERVER', `server id "${id}" appears more than once`, {
        id,
      });
    }
    seen.add(id);
    const weight: unknown = server.weight ?? 1;
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0) {
      throw new RedoubtError('PLACEMENT_BAD_WEIGHT', `server "${id}" has weight ${String(weight)}`, {
        id,
        weight: String(weight),
      });
    }
    result.push(Object.freeze({ id, weight }));
  }
  return Object.freeze(result);
}

/**
 * The index-based strategies (mod, jump) cannot honour weights; rather than ignore them silently they refuse
 * servers of unequal weight and point at the strategies that can.
 */
export function assertEqualWeights(kind: string, servers: readonly NormalisedServer[]): void {
  const first = servers[0]!.weight;
  const other = servers.find((s) => s.weight !== first);
  if (other) {
    throw new RedoubtError(
      'INVALID_ARGUMENT',
      `the ${kind} strategy cannot weight servers (server "${other.id}" has weight ${other.weight}, ` +
        `"${servers[0]!.id}" has ${first}); use rendezvous or ring`,
      { strategy: kind, id: other.id, weight: other.weight },
    );
  }
}
