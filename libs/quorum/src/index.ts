export {
  type ConsistencyLevel,
  type QuorumPolicy,
  CONSISTENCY_LEVELS,
  checkPolicy,
  parseConsistency,
  requirementsFor,
} from './consistency.js';
export {
  type ReplicaClient,
  type ReplicaSet,
  guardReplica,
  replicaBehindBatchBreaker,
  isUnknownOutcome,
  errorCodeOf,
} from './replica-client.js';
export {
  quorumWrite,
  type WriteOutcome,
  type WriteSettlement,
  type ReplicaWriteState,
} from './quorum-write.js';
export { writeNewest, MAX_SUPERSEDE_ATTEMPTS, type NewestWrite, type QuorumWriter } from './write-newest.js';
export {
  quorumRead,
  type ReadOutcome,
  type ReadSettlement,
  type ReplicaReply,
  type QuorumReadOptions,
} from './quorum-read.js';
export {
  QuorumCoordinator,
  type QuorumCoordinatorOptions,
  type QuorumObserver,
} from './quorum-coordinator.js';
export {
  HandoffBuffer,
  type HandoffSink,
  type HandoffEvent,
  type HandoffBufferOptions,
} from './handoff-buffer.js';
export { ReplicateQueue } from './replicate-queue.js';
export { HedgeBudget, HedgeScheduler } from './hedge-scheduler.js';
