import { RedoubtError } from '@redoubt/errors';
import type { ServerMappingStrategy } from './server-mapping-strategy.js';

export interface BalanceMeasure {
  /** max over servers of load / ideal load; 1 is perfect. */
  maxOverIdeal: number;
  /** keys per server id (every known server is listed, with 0 if it got none). */
  loads: Record<string, number>;
}

/**
 * Balance of a strategy over a sample of key hashes: the most loaded server's load divided by its ideal load.
 * The ideal load of server s is `keys * weight_s / totalWeight` when the strategy lists its servers, otherwise
 * `keys / distinct servers seen` (which cannot see a server that got no key at all).
 */
export function measureBalance(
  strategy: ServerMappingStrategy,
  keyHashes: readonly bigint[] | BigUint64Array,
): BalanceMeasure {
  const keys = assertSample(keyHashes);
  const counts = new Map<string, number>();
  for (const server of strategy.servers ?? []) counts.set(server.id, 0);
  for (let i = 0; i < keys; i++) {
    const id = strategy.serverFor(keyHashes[i]!);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }

  let maxOverIdeal = 0;
  if (strategy.servers) {
    const known = new Map(strategy.servers.map((s) => [s.id, s.weight] as const));
    const totalWeight = strategy.servers.reduce((sum, s) => sum + s.weight, 0);
    for (const [id, load] of counts) {
      const weight = known.get(id);
      if (weight === undefined) {
        throw new RedoubtError(
          'INVALID_ARGUMENT',
          `strategy ${strategy.name} returned unknown server "${id}"`,
          {
            id,
          },
        );
      }
      maxOverIdeal = Math.max(maxOverIdeal, load / ((keys * weight) / totalWeight));
    }
  } else {
    const ideal = keys / counts.size;
    for (const load of counts.values()) maxOverIdeal = Math.max(maxOverIdeal, load / ideal);
  }
  return { maxOverIdeal, loads: Object.fromEntries(counts) };
}

/** Throws INVALID_ARGUMENT for an empty or malformed sample; returns its length. */
export function assertSample(keyHashes: readonly bigint[] | BigUint64Array): number {
  if (!(Array.isArray(keyHashes) || keyHashes instanceof BigUint64Array) || keyHashes.length === 0) {
    throw new RedoubtError('INVALID_ARGUMENT', 'measures need a non-empty array of key hashes', {
      length:
        Array.isArray(keyHashes) || keyHashes instanceof BigUint64Array ? keyHashes.length : typeof keyHashes,
    });
  }
  return keyHashes.length;
}
