export {
  type BackupStore,
  type ObjectBody,
  type ReadOptions,
  type StoredObject,
  type ListOptions,
  type ListPage,
  listAll,
  missingObject,
  isMissingObject,
  objectKey,
} from './backup-store.js';
export { DirectoryBackupStore } from './directory-store.js';
export { unreadable, unwritable } from './durable-files.js';
export {
  type BackupTarget,
  type BackupStoreOpener,
  openDirectoryTarget,
  directoryTarget,
  DEFAULT_BACKUP_COPIES,
  parseBackupTargets,
  formatBackupTargets,
  backupMatrix,
  targetsOfPartition,
  targetById,
} from './backup-targets.js';
export { KEY_BYTES, parseEncryptionKey, keyCheckOf } from './encryption-key.js';
export {
  authenticateManifest,
  deriveSigningKey,
  signManifest,
  signingKeyId,
  type ManifestSigning,
} from './manifest-mac.js';
export {
  type Compression,
  type CompressionCodec,
  DEFAULT_COMPRESSION,
  parseCompression,
  formatCompression,
} from './compression.js';
export {
  type SegmentInfo,
  type SegmentsWritten,
  type SegmentWriterOptions,
  writeSegments,
} from './segment-writer.js';
export { checkSegmentHash, readSegmentRecords, segmentExpectations } from './segment-reader.js';
export {
  type BackupManifest,
  MANIFEST_FILE,
  manifestSchema,
  parseManifest,
  readManifest,
  canonicalJson,
} from './manifest.js';
export {
  type BackupHead,
  type PartitionBackups,
  type IncompleteBackup,
  type InvalidBackup,
  backupDir,
  partitionDir,
  manifestPath,
  partitionKey,
  backupKey,
  manifestKey,
  backupObjectKeys,
  listPartitionBackups,
  partitionsOnTarget,
  chainOf,
  readHead,
} from './backup-catalog.js';
export {
  type BackupKind,
  type BackupPartitionOptions,
  type BackupPartitionResult,
  DEFAULT_SEGMENT_BYTES,
  DEFAULT_OVERLAP_MS,
  DEFAULT_MAX_CHAIN,
  backupPartition,
  retentionDue,
} from './backup-partition.js';
export {
  type VerifyProblem,
  type VerifyOptions,
  type BackupVerification,
  type PartitionVerification,
  type VerifySummary,
  verifyBackup,
  verifyPartition,
  verifyTargets,
} from './verify-backups.js';
export {
  type RetentionPolicy,
  type RetentionDecision,
  type PruneResult,
  DEFAULT_RETENTION,
  decideRetention,
  pruneBackups,
} from './retention.js';
export {
  type RestoreCandidate,
  type RestoreProblem,
  type RestorePlan,
  type PartitionRestoreResult,
  type PartitionRestoreStatus,
  type ReplicaRestoreOutcome,
  type RestorePartitionOptions,
  type RestoreManyOptions,
  type RestoreSummary,
  restoreCandidates,
  preverifyChain,
  chainRecords,
  restorePartition,
  planRestore,
  restorePartitions,
} from './restore-partition.js';
export {
  type DrillOptions,
  type DrillResult,
  type DrillPartitionResult,
  type DrillComparison,
  runRestoreDrill,
  samplePartitions,
} from './restore-drill.js';
export { versionFloorAt, versionCeilingAt, wallOf, parsePointInTime } from './version-bounds.js';
export { type BackupMetrics, registerBackupMetrics } from './backup-metrics.js';
export {
  type BackupSettings,
  type BackupCadence,
  DEFAULT_CADENCE,
  backupEnvSchema,
  loadBackupSettings,
} from './backup-settings.js';
export {
  BACKUP_JOB_NAMES,
  RESTORE_JOB_NAMES,
  BACKUP_SCHEDULER_IDS,
  BACKUP_JOB_OPTIONS,
  backupPartitionJobSchema,
  backupSweepJobSchema,
  backupDrillJobSchema,
  backupVerifyJobSchema,
  restorePartitionJobSchema,
  type BackupPartitionJob,
  type BackupSweepJob,
  type BackupDrillJob,
  type BackupVerifyJob,
  type RestorePartitionJob,
  backupJobId,
  backupDedupId,
  restoreJobId,
  roundOf,
  backupPairs,
  enqueueBackupRound,
} from './backup-jobs.js';
export {
  type BackupCluster,
  type BackupJobDeps,
  type BackupJobResult,
  type BackupPartitionJobResult,
  type BackupSweepResult,
  processBackupJob,
  processRestoreJob,
} from './backup-processors.js';
export { primeBackupMetrics, backupMatrixFor } from './backup-matrix-memo.js';
export { scheduleBackups } from './backup-schedule.js';
export { fanOut } from './fan-out.js';
export { assertTargetWritable } from './target-probe.js';
export { type PointInTimeChain, pointInTimeChain, stateAt } from './point-in-time.js';
export {
  type UndoAction,
  type UndoChange,
  type PartitionDiff,
  type LiveReadOptions,
  diffAgainstPast,
  readLivePartition,
  readLiveKey,
} from './undo-plan.js';
export {
  type UndoWriteResult,
  type ApplyUndoOptions,
  versionAbove,
  undoRecordOf,
  applyUndoChanges,
} from './undo-apply.js';
export {
  type UndoScope,
  type UndoOptions,
  type UndoSampleEntry,
  type UndoCounts,
  type UndoGap,
  type UndoWrites,
  type UndoSummary,
  scopePartitions,
  undoToPointInTime,
} from './point-in-time-undo.js';
export {
  EMPTY_ROOT,
  type BackupRootStore,
  type BackupHealth,
  type LastDrill,
  readBackupHealth,
  type RootHash,
  type SourceRoots,
  type SweepPlan,
  redisRootStore,
  rootKey,
  sourceRoots,
  planSweep,
} from './backup-sweep.js';
export {
  COVERAGE_FILE,
  type TargetCoverage,
  readCoverage,
  updateCoverage,
  knownEmptyPartitions,
} from './backup-coverage.js';
