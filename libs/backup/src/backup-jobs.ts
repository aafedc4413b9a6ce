import { createHash } from 'node:crypto';
import type { JobsOptions, Queue } from 'bullmq';
import { z } from 'zod';
import { isValidVersion } from '@redoubt/records';
import { RedoubtError } from '@redoubt/errors';
import type { PlacementMatrix } from '@redoubt/placement';
import { replicasOf } from '@redoubt/placement';

/**
 * Job names on the `backup` and `restore` queues (QUEUES.backup / QUEUES.restore of @redoubt/queues).
 * The backup queue carries the scheduled sweeps (which fan out into one job per partition and target),
 * the per-partition backups, drills and verify runs; the restore queue one job per partition.
 */
export const BACKUP_JOB_NAMES = {
  sweep: 'backup-sweep',
  partition: 'backup-partition',
  drill: 'backup-drill',
  verify: 'backup-verify',
} as const;

export const RESTORE_JOB_NAMES = { partition: 'restore-partition' } as const;

/** BullMQ job scheduler ids kept by scheduleBackups. */
export const BACKUP_SCHEDULER_IDS = {
  full: 'backup-full',
  incremental: 'backup-incremental',
  drill: 'backup-drill',
  verify: 'backup-verify',
} as const;

const partition = z
  .number()
  .int()
  .min(0)
  .max(1 << 24);
const targetId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const kind = z.enum(['full', 'incremental', 'auto']);

/** Back up one partition to one target. `round` names the sweep or CLI run (idempotent job ids). */
export const backupPartitionJobSchema = z.object({
  partition,
  target: targetId,
  kind: kind.default('auto'),
  round: z.string().min(1).max(64),
  /** Asked by an operator (`redoubt backup now`): runs without the background share limit. */
  interactive: z.boolean().optional(),
});
export type BackupPartitionJob = z.infer<typeof backupPartitionJobSchema>;

/** Fan out one backup job per (partition, target) of the backup matrix; `partitions`/`targets` narrow it. */
export const backupSweepJobSchema = z.object({
  kind: kind.default('auto'),
  partitions: z.array(partition).optional(),
  targets: z.array(targetId).optional(),
});
export type BackupSweepJob = z.infer<typeof backupSweepJobSchema>;

export const backupDrillJobSchema = z.object({
  sample: z.number().int().min(1).max(4096).optional(),
  partitions: z.array(partition).optional(),
});
export type BackupDrillJob = z.infer<typeof backupDrillJobSchema>;

export const backupVerifyJobSchema = z.object({
  deep: z.boolean().optional(),
  partitions: z.array(partition).optional(),
  targets: z.array(targetId).optional(),
});
export type BackupVerifyJob = z.infer<typeof backupVerifyJobSchema>;

/** Restore one partition into every replica of its current placement. */
export const restorePartitionJobSchema = z.object({
  partition,
  at: z.string().refine(isValidVersion, 'malformed version').optional(),
  allowOlder: z.boolean().optional(),
  targets: z.array(targetId).optional(),
});
export type RestorePartitionJob = z.infer<typeof restorePartitionJobSchema>;

/** A short, id-safe name for a round (BullMQ reserves ':' in job ids). */
export function roundOf(seed: string): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, 16);
}

export function backupJobId(
  job: Pick<BackupPartitionJob, 'partition' | 'target' | 'kind' | 'round'>,
): string {
  return `backup-${job.kind}-${job.partition}-${job.target}-${job.round}`;
}

export function restoreJobId(partition: number, round: string): string {
  return `restore-${partition}-${round}`;
}

/** Backups are retried like other data-moving jobs, but fewer times: the next scheduled round comes soon. */
export const BACKUP_JOB_OPTIONS: JobsOptions = {
  attempts: 4,
  backoff: { type: 'exponential', delay: 2_000, jitter: 0.5 },
  removeOnComplete: { age: 3_600, count: 20_000 },
  removeOnFail: { age: 7 * 86_400 },
};

/** The (partition, target) pairs of the backup matrix, optionally narrowed. */
export function backupPairs(
  matrix: PlacementMatrix,
  narrow: { partitions?: readonly number[]; targets?: readonly string[] } = {},
): { partition: number; target: string }[] {
  const pairs: { partition: number; target: string }[] = [];
  const partitions = narrow.partitions ?? Array.from({ length: matrix.partitions }, (_, p) => p);
  for (const p of partitions) {
    if (p >= matrix.partitions) {
      throw new RedoubtError('INVALID_ARGUMENT', `partition ${p} is outside 0..${matrix.partitions - 1}`, {
        partition: p,
      });
    }
    for (const target of replicasOf(matrix, p)) {
      if (!narrow.targets || narrow.targets.includes(target)) pairs.push({ partition: p, target });
    }
  }
  return pairs;
}

/** While a backup of this (partition, target) waits, runs or retries, no second one is added. */
export function backupDedupId(partition: number, target: string): string {
  return `backup-${partition}-${target}`;
}

/**
 * Adds one backup-partition job per pair (in bulk). Each pair is deduplicated whatever the kind and
 * whoever asks (sweep or CLI): while a backup of the same partition to the same target waits or runs, no
 * second one is added (two never run at once; a slow worker skips rounds instead of piling them up), and
 * the id of the job already there is returned in its place.
 * Returns the job ids to follow, in pair order. Used by the sweep and by `redoubt backup now`.
 */
export async function enqueueBackupRound(
  queue: Queue,
  pairs: readonly { partition: number; target: string }[],
  kindOfRound: BackupPartitionJob['kind'],
  round: string,
  options: JobsOptions = {},
  interactive = false,
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < pairs.length; i += 1_000) {
    const slice = pairs.slice(i, i + 1_000).map(({ partition: p, target }) => {
      const data: BackupPartitionJob = {
        partition: p,
        target,
        kind: kindOfRound,
        round,
        ...(interactive ? { interactive: true } : {}),
      };
      return {
        name: BACKUP_JOB_NAMES.partition,
        data,
        opts: {
          ...BACKUP_JOB_OPTIONS,
          ...options,
          jobId: backupJobId(data),
          deduplication: { id: backupDedupId(p, target) },
        },
      };
    });
    const jobs = await queue.addBulk(slice);
    jobs.forEach((job, j) => ids.push(job.id ?? slice[j]!.opts.jobId));
  }
  return ids;
}
