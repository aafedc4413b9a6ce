export { type ClusterView, clusterViewOf, clusterViewOfMap } from './cluster-view.js';
export {
  type AntiEntropyContext,
  type TransferObserver,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_STREAM_TIMEOUT_MS,
} from './anti-entropy-context.js';
export { TransferThrottle } from './transfer-throttle.js';
export { LatencyPacer, type LatencyPacerOptions } from './latency-pacer.js';
export { recordBytes } from './record-size.js';
export {
  planBucketBatches,
  type BucketBatch,
  type BucketPlan,
  type ReplicaDigest,
  type ReplicaGroup,
} from './bucket-batches.js';
export { planMerge, type GroupRecords, type MergePlan } from './version-merge.js';
export { digestReplicas, type DigestRound } from './replica-digests.js';
export { replicateVersion, type ReplicateRequest, type ReplicateReport } from './replicate-version.js';
export { reconcilePartition, type ReconcileRequest, type ReconcileReport } from './reconcile-partition.js';
export { verifyCopy, type CopyVerification } from './verify-copy.js';
export { movePartition, type MoveRequest, type MoveReport } from './move-partition.js';
export { scrubNode, type ScrubRequest, type ScrubReport, type CorruptRecordOutcome } from './scrub-node.js';
export {
  sweepPartitions,
  type SweepOptions,
  type SweepReport,
  type DivergentPartition,
  type DivergenceRisk,
} from './divergence-sweep.js';
