import { assertJumpBuckets, jumpHashWords } from './jump-hash.js';
import {
  assertEqualWeights,
  type NormalisedServer,
  type ServerMappingStrategy,
} from './server-mapping-strategy.js';
import { loadedHi, loadedLo, loadUint64 } from './uint64-words.js';

/**
 * `servers[jumpHash(keyHash, m)]`: no memory beyond the list, near-perfect balance, and the minimum movement
 * when a server is appended or the LAST one is removed. Removing a server from the middle shifts every later
 * index, so callers that need arbitrary removal keep a stable slot list (or use rendezvous / ring).
 */
export function createJumpStrategy(servers: readonly NormalisedServer[]): ServerMappingStrategy {
  assertEqualWeights('jump', servers);
  const ids = servers.map((s) => s.id);
  const buckets = ids.length;
  assertJumpBuckets(buckets);
  return Object.freeze({
    name: 'jump',
    servers,
    serverFor(keyHash: bigint): string {
      loadUint64(keyHash);
      return ids[jumpHashWords(loadedHi(), loadedLo(), buckets)]!;
    },
  });
}
