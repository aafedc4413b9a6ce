import { modUint64 } from './partition-of.js';
import {
  assertEqualWeights,
  type NormalisedServer,
  type ServerMappingStrategy,
} from './server-mapping-strategy.js';
import { loadedHi, loadedLo, loadUint64 } from './uint64-words.js';

/**
 * The naive baseline, `servers[keyHash mod m]`. Perfectly balanced for a uniform hash, but a change of m moves
 * almost every key (about m/(m+1) of them), which is the number the other strategies are measured against.
 * Depends on the order of the server list.
 */
export function createModStrategy(servers: readonly NormalisedServer[]): ServerMappingStrategy {
  assertEqualWeights('mod', servers);
  const ids = servers.map((s) => s.id);
  const m = ids.length;
  return Object.freeze({
    name: 'mod',
    servers,
    serverFor(keyHash: bigint): string {
      loadUint64(keyHash);
      return ids[modUint64(loadedHi(), loadedLo(), m)]!;
    },
  });
}
