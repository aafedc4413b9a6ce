export { hash64 } from './hash64.js';
export { DEFAULT_PARTITIONS, MAX_PARTITIONS, partitionOf, partitionOfHash } from './partition-of.js';
export { jumpHash, MAX_JUMP_BUCKETS } from './jump-hash.js';
export type { ServerMappingStrategy, WeightedServer } from './server-mapping-strategy.js';
export {
  createStrategy,
  STRATEGY_KINDS,
  type StrategyKind,
  type StrategyOptions,
} from './create-strategy.js';
export { DEFAULT_VNODES } from './ring-strategy.js';
export { measureBalance, type BalanceMeasure } from './measure-balance.js';
export { measureMovement, type MovementMeasure } from './measure-movement.js';
export { keysInPartition } from './keys-in-partition.js';
