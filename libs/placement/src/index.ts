export type {
  BackupTargetSpec,
  BuildOptions,
  Move,
  MovePlan,
  PlacementJSON,
  PlacementMatrix,
  RebalanceOptions,
  ServerSpec,
  ValidateOptions,
  Violation,
  ViolationRule,
} from './placement-types.js';
export {
  DEFAULT_PARTITIONS,
  DEFAULT_REPLICAS,
  DEFAULT_TOLERANCE,
  EMPTY_CELL,
  MAX_SERVERS,
} from './placement-types.js';
export { build } from './zone-aware-builder.js';
export { rebalance } from './rebalancer.js';
export { diff } from './move-plan.js';
export { validate } from './validator.js';
export { loads } from './loads.js';
export { assertNewerEpoch, partitionsOf, replicasOf } from './placement-matrix.js';
export { fromBinary, fromJSON, toBinary, toJSON } from './placement-codec.js';
export { balanceReport, type BalanceReport } from './balance-report.js';
export { placementFromNodes } from './placement-from-nodes.js';
