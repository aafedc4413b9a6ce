import { hash64 } from './hash64.js';
import { murmurBlock, murmurFinish, murmurStep, serverScorePrefix } from './rendezvous-score.js';
import type { NormalisedServer, ServerMappingStrategy } from './server-mapping-strategy.js';
import { loadedHi, loadedLo, loadUint64 } from './uint64-words.js';

const TWO_POW_MINUS_32 = 2 ** -32;

/**
 * Weighted rendezvous (highest random weight) hashing: every server scores the key and the highest score wins.
 * A server's score is `-weight / ln(u)` with u = (murmurScore + 0.5) / 2^32 in (0, 1) (the logarithmic method
 * of Schindelhauer and Schomaker), which gives each server a share of keys proportional to its weight. When all
 * weights are equal the logarithm is skipped: `-w / ln(u)` is increasing in u, so comparing the raw scores picks
 * the same server.
 *
 * Ties (equal scores) go to the server whose id sorts first. The ordering is total and does not depend on the
 * rest of the list, which is what makes the movement minimal: removing a server moves exactly its own keys,
 * and adding one moves only the keys the newcomer wins. The order of the input list does not matter.
 * Cost is O(servers) per lookup.
 */
export function createRendezvousStrategy(servers: readonly NormalisedServer[]): ServerMappingStrategy {
  const n = servers.length;
  const ids = servers.map((s) => s.id);
  const prefixes = new Int32Array(n);
  const weights = new Float64Array(n);
  const idRank = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    prefixes[i] = serverScorePrefix(hash64(ids[i]!));
    weights[i] = servers[i]!.weight;
  }
  const byId = ids.map((id, i) => ({ id, i })).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  byId.forEach(({ i }, rank) => (idRank[i] = rank));
  const equalWeights = weights.every((w) => w === weights[0]);

  function serverForEqualWeights(keyHash: bigint): string {
    loadUint64(keyHash);
    const k1 = murmurBlock(loadedLo());
    const k2 = murmurBlock(loadedHi());
    let best = 0;
    let bestScore = -1;
    for (let i = 0; i < n; i++) {
      const score = murmurFinish(murmurStep(murmurStep(prefixes[i]!, k1), k2), 16);
      if (score > bestScore || (score === bestScore && idRank[i]! < idRank[best]!)) {
        best = i;
        bestScore = score;
      }
    }
    return ids[best]!;
  }

  function serverForWeighted(keyHash: bigint): string {
    loadUint64(keyHash);
    const k1 = murmurBlock(loadedLo());
    const k2 = murmurBlock(loadedHi());
    let best = 0;
    let bestRaw = -1;
    let bestScore = -Infinity;
    for (let i = 0; i < n; i++) {
      const raw = murmurFinish(murmurStep(murmurStep(prefixes[i]!, k1), k2), 16);
      const score = -weights[i]! / Math.log((raw + 0.5) * TWO_POW_MINUS_32);
      if (
        score > bestScore ||
        (score === bestScore && (raw > bestRaw || (raw === bestRaw && idRank[i]! < idRank[best]!)))
      ) {
        best = i;
        bestRaw = raw;
        bestScore = score;
      }
    }
    return ids[best]!;
  }

  return Object.freeze({
    name: 'rendezvous',
    servers,
    serverFor: equalWeights ? serverForEqualWeights : serverForWeighted,
  });
}
