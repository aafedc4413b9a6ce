import { RedoubtError } from '@redoubt/errors';
import { createJumpStrategy } from './jump-strategy.js';
import { createModStrategy } from './mod-strategy.js';
import { createRendezvousStrategy } from './rendezvous-strategy.js';
import { assertVnodes, createRingStrategy, DEFAULT_VNODES } from './ring-strategy.js';
import {
  normaliseServers,
  type ServerMappingStrategy,
  type WeightedServer,
} from './server-mapping-strategy.js';

export type StrategyKind = 'mod' | 'jump' | 'rendezvous' | 'ring';
export const STRATEGY_KINDS: readonly StrategyKind[] = Object.freeze(['mod', 'jump', 'rendezvous', 'ring']);

export interface StrategyOptions {
  /** Ring only: points per unit of server weight (default 160). */
  vnodes?: number;
}

/**
 * Builds a key-to-server strategy.
 * - `mod`: `servers[h mod m]`, the baseline; equal weights only; depends on list order.
 * - `jump`: jump consistent hash over the list; equal weights only; append / remove-last are minimal moves.
 * - `rendezvous`: weighted highest-random-weight; any server can join or leave with minimal movement; O(m).
 * - `ring`: consistent hashing ring with `vnodes` points per unit of weight; O(log points).
 *
 * Throws RedoubtError: INVALID_ARGUMENT (unknown kind, empty list, bad id, bad vnodes, unequal weights for
 * mod/jump), PLACEMENT_DUPLICATE_SERVER, PLACEMENT_BAD_WEIGHT.
 */
export function createStrategy(
  kind: StrategyKind,
  servers: readonly WeightedServer[],
  options: StrategyOptions = {},
): ServerMappingStrategy {
  if (!STRATEGY_KINDS.includes(kind)) {
    throw new RedoubtError('INVALID_ARGUMENT', `unknown strategy "${String(kind)}"`, {
      kind: String(kind),
      known: [...STRATEGY_KINDS],
    });
  }
  const vnodes = options.vnodes ?? DEFAULT_VNODES;
  assertVnodes(vnodes);
  const normalised = normaliseServers(servers);
  switch (kind) {
    case 'mod':
      return createModStrategy(normalised);
    case 'jump':
      return createJumpStrategy(normalised);
    case 'rendezvous':
      return createRendezvousStrategy(normalised);
    case 'ring':
      return createRingStrategy(normalised, vnodes);
  }
}
