import type { Queue } from 'bullmq';
import {
  loadBackupSettings,
  primeBackupMetrics,
  processBackupJob,
  processRestoreJob,
  redisRootStore,
  registerBackupMetrics,
  scheduleBackups,
  type RootHash,
} from '@redoubt/backup';
import { backupStoreOpener } from '@redoubt/backup-stores';
import type { ClusterMap } from '@redoubt/cluster-client';
import type { JobProcessor } from '@redoubt/queues';
import type { Logger, Registry } from '@redoubt/telemetry';
import { withBackgroundShare } from './background-share.js';

export interface BackupWiring {
  backupProcessor: JobProcessor;
  restoreProcessor: JobProcessor;
  /** Keeps the four backup schedulers (full, incremental, drill, verify); safe to call repeatedly. */
  ensureSchedules(): Promise<void>;
}

/**
 * Backups (B = A x P) run in this worker when BACKUP_TARGETS names the targets; without it the worker
 * moves replicas only and says so. Settings are validated at start like the rest of the configuration.
 */
export function wireBackups(options: {
  env: NodeJS.ProcessEnv;
  registry: Registry;
  backupQueue: Queue;
  /** The queues' Redis (the digest roots last backed up live beside the backup queue). */
  redis: RootHash;
  clusterMap: ClusterMap;
  partitions: number;
  requestTimeoutMs: number;
  /** BACKUP_MAX_SHARE: the share of a backup slot's time scheduled backups may use. */
  maxShare: number;
  logger: Logger;
}): BackupWiring | undefined {
  if (!options.env.BACKUP_TARGETS) {
    options.logger.warn('BACKUP_TARGETS is not set: backups and restores are disabled in this worker');
    return undefined;
  }
  // Directories and s3:// targets; S3 credentials from BACKUP_S3_<ID>_* or the SDK's default chain.
  const settings = loadBackupSettings(options.env, {}, backupStoreOpener(options.env));
  options.logger.info(
    { targets: settings.targets.map((t) => `${t.id}=${t.store.kind}:${t.store.location}`) },
    'backup targets',
  );
  const metrics = registerBackupMetrics(options.registry);
  void primeBackupMetrics(metrics, settings, options.partitions).catch((error: Error) =>
    options.logger.warn({ err: error.message }, 'could not read the last backup times from the targets'),
  );
  const deps = {
    cluster: () => options.clusterMap,
    settings,
    queue: options.backupQueue,
    roots: redisRootStore(options.redis, options.backupQueue.toKey('')),
    metrics,
    logger: options.logger,
    requestTimeoutMs: options.requestTimeoutMs,
  };
  return {
    backupProcessor: withBackgroundShare(
      (job, signal) => processBackupJob(job, { ...deps, signal }),
      options.maxShare,
    ),
    restoreProcessor: (job, signal) => processRestoreJob(job, { ...deps, signal }),
    ensureSchedules: async () => {
      await scheduleBackups(options.backupQueue, settings.cadence);
    },
  };
}
