export {
  planMoves,
  previewChange,
  emptyPreview,
  serversAfter,
  type PlannedMove,
  type PlanMovesOptions,
  type MembershipChange,
  type ChangePreview,
  type PartitionExposure,
  type PreviewOptions,
} from './move-planning.js';
export { redundancyOf, unfilledKey, type Redundancy } from './redundancy.js';
export {
  decideAction,
  actionBackoffMs,
  DEFAULT_DECISION_SETTINGS,
  type Decision,
  type DecisionContext,
  type DecisionSettings,
} from './recovery-decision.js';
export { readPendingMoves, type PendingMovesSnapshot } from './pending-moves.js';
export { readPartitionSizes, type PartitionSizes } from './partition-sizes.js';
export { IncidentBook } from './incident-book.js';
export { PlacementChanger, type AppliedChange, type ChangeContext } from './placement-changer.js';
export {
  RecoveryController,
  type WatchedService,
  type RecoveryObserver,
  type RecoverySettings,
  type RecoveryDeps,
} from './recovery-controller.js';
export type { ClusterStatus, NodeStatus, ServiceStatus } from './cluster-status.js';
