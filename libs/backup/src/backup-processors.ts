import { UnrecoverableError, type Job, type Queue } from 'bullmq';
import type { DataNodeApi } from '@redoubt/cluster-client';
import { RedoubtError, toRedoubtError } from '@redoubt/errors';
import { failPermanentErrorsAtOnce, parseJobData } from '@redoubt/queues';
import type { Logger } from '@redoubt/telemetry';
import { partitionsOnTarget } from './backup-catalog.js';
import {
  BACKUP_JOB_NAMES,
  RESTORE_JOB_NAMES,
  backupDrillJobSchema,
  backupPartitionJobSchema,
  backupSweepJobSchema,
  backupVerifyJobSchema,
  enqueueBackupRound,
  restorePartitionJobSchema,
  roundOf,
} from './backup-jobs.js';
import type { BackupMetrics } from './backup-metrics.js';
import { backupPartition, retentionDue } from './backup-partition.js';
import {
  EMPTY_ROOT,
  planSweep,
  recordEmptyPartitions,
  rootKey,
  sourceRoots,
  type BackupRootStore,
} from './backup-sweep.js';
import type { BackupSettings } from './backup-settings.js';
import { targetById } from './backup-targets.js';
import { backupMatrixFor } from './backup-matrix-memo.js';
import { runRestoreDrill, samplePartitions, type DrillResult } from './restore-drill.js';
import { restorePartition, type PartitionRestoreResult } from './restore-partition.js';
import { pruneBackups } from './retention.js';
import { verifyTargets, type VerifySummary } from './verify-backups.js';

/**
 * What backup and restore need to know about the cluster: P, and the clients of a partition's replicas
 * in the current placement, primary first. A ClusterMap of @redoubt/cluster-client is one.
 */
export interface BackupCluster {
  readonly partitions: number;
  replicasOf(partition: number): readonly DataNodeApi[];
}

export interface BackupJobDeps {
  /** Called per job, so a job started after a placement change sees the new replica sets. */
  cluster: () => BackupCluster;
  settings: BackupSettings;
  /** The backup queue: sweeps add their per-partition jobs to it. */
  queue?: Queue;
  /** Digest roots last backed up per (partition, target): what lets a sweep skip unchanged partitions. */
  roots?: BackupRootStore;
  metrics?: BackupMetrics;
  logger?: Logger;
  requestTimeoutMs?: number;
  /** Aborted when the worker shuts down. */
  signal?: AbortSignal;
}

export interface BackupPartitionJobResult {
  partition: number;
  target: string;
  status: 'written' | 'unchanged';
  backup: string;
  kind: 'full' | 'incremental';
  watermark: string;
  records: number;
  bytes: number;
  rawBytes: number;
  /** When this job began (ms): a caller that asked later than this waits for a newer backup. */
  startedAt: number;
  durationMs: number;
  pruned: number;
}

export interface BackupSweepResult {
  job: 'backup-sweep';
  kind: 'full' | 'incremental' | 'auto';
  round: string;
  /** Jobs added (changed or never backed up partitions). */
  enqueued: number;
  /** Pairs skipped: their digest root equals the one last backed up. */
  unchanged: number;
  /** Partitions holding nothing and never backed up: no job, no file. */
  empty: number;
  /** Data nodes that did not answer the digest listing (their partitions' pairs are enqueued). */
  down: { node: string; error: string }[];
  durationMs: number;
}

export type BackupJobResult =
  | ({ job: 'backup-partition' } & BackupPartitionJobResult)
  | BackupSweepResult
  | ({ job: 'backup-drill' } & Pick<DrillResult, 'ok' | 'rtoMs' | 'rpoMs' | 'records' | 'rawBytes'> & {
        partitions: number[];
        failures: string[];
      })
  | ({ job: 'backup-verify' } & Pick<
      VerifySummary,
      'ok' | 'partitions' | 'backups' | 'segments' | 'bytes'
    > & { problems: string[] });

/** No retry fixes these: fail the job at once (it stays visible in the failed set). */
const PERMANENT = new Set([
  'JOB_INVALID',
  'INVALID_ARGUMENT',
  'CONFIG_INVALID',
  'BACKUP_KEY_INVALID',
  'BACKUP_CORRUPT',
  'BACKUP_MANIFEST_INVALID',
  'BACKUP_MANIFEST_UNAUTHENTIC',
  'BACKUP_NOT_ENCRYPTED',
  'BACKUP_CHAIN_BROKEN',
  'BACKUP_NOT_FOUND',
  'WRONG_PARTITION',
  'AUTH_INVALID',
]);

/**
 * Runs a job body: permanent errors fail at once, and every failure reads `CODE: message (where)` in the
 * job's failed reason (what `redoubt backup now` and Bull Board show), retried ones included.
 */
async function permanentAware<R>(body: () => Promise<R>, where?: string): Promise<R> {
  try {
    return await failPermanentErrorsAtOnce(PERMANENT, body);
  } catch (error) {
    if (!where) throw error;
    if (error instanceof UnrecoverableError) throw new UnrecoverableError(`${error.message} (${where})`);
    const e = toRedoubtError(error);
    throw new RedoubtError(e.code, `${e.code}: ${e.message} (${where})`, e.details);
  }
}

/**
 * The processor of the `backup` queue: dispatches on the job name.
 * - backup-sweep: one backup-partition job per (partition, target) of the backup matrix;
 * - backup-partition: back one partition up to one target, then apply retention there;
 * - backup-drill: a restore drill of sampled partitions;
 * - backup-verify: re-read and check every segment on the targets.
 * Wire it as `(job, signal) => processBackupJob(job, { ...deps, signal })`.
 */
export async function processBackupJob(job: Job, deps: BackupJobDeps): Promise<BackupJobResult> {
  switch (job.name) {
    case BACKUP_JOB_NAMES.partition:
      return { job: 'backup-partition', ...(await runBackupPartitionJob(job, deps)) };
    case BACKUP_JOB_NAMES.sweep:
      return runSweepJob(job, deps);
    case BACKUP_JOB_NAMES.drill:
      return runDrillJob(job, deps);
    case BACKUP_JOB_NAMES.verify:
      return runVerifyJob(job, deps);
    default:
      throw new UnrecoverableError(
        `JOB_INVALID: the backup queue has no job named ${JSON.stringify(job.name)}`,
      );
  }
}

async function runBackupPartitionJob(job: Job, deps: BackupJobDeps): Promise<BackupPartitionJobResult> {
  const data = parseJobData(backupPartitionJobSchema, job);
  const cluster = deps.cluster();
  const { settings } = deps;
  const startedAt = Date.now();
  // Progress goes to Redis at most once a second: a small partition's backup takes milliseconds, and a
  // round trip per segment was a good part of it.
  let progressAt = startedAt;
  return permanentAware(async () => {
    const target = targetById(settings.targets, data.target);
    if (data.partition >= cluster.partitions) {
      throw new RedoubtError(
        'INVALID_ARGUMENT',
        `partition ${data.partition} is outside 0..${cluster.partitions - 1}`,
      );
    }
    let result;
    try {
      result = await backupPartition({
        partition: data.partition,
        partitions: cluster.partitions,
        target,
        replicas: cluster.replicasOf(data.partition),
        kind: data.kind,
        compression: settings.compression,
        key: settings.key,
        signing: settings.signing,
        segmentBytes: settings.segmentBytes,
        overlapMs: settings.overlapMs,
        maxChain: settings.maxChain,
        origin: String(job.id ?? ''),
        requestTimeoutMs: deps.requestTimeoutMs,
        signal: deps.signal,
        onProgress: (progress) => {
          if (Date.now() - progressAt < 1_000) return;
          progressAt = Date.now();
          void job.updateProgress(progress).catch(() => undefined);
        },
      });
    } catch (error) {
      deps.metrics?.backupFailed(data.kind);
      throw error;
    }
    deps.metrics?.backupFinished(result);
    const root = result.sourceRecords === 0 ? EMPTY_ROOT : result.head.sourceRoot;
    await deps.roots
      ?.record([[rootKey(data.partition, target.id), root]], result.head.coveredAt)
      .catch((error: Error) =>
        deps.logger?.warn({ err: error.message }, 'could not record the backed-up digest root'),
      );
    let pruned = 0;
    try {
      const prune = retentionDue(result, settings.retention)
        ? await pruneBackups(target, data.partition, settings.signing, settings.retention)
        : { pruned: [] };
      pruned = prune.pruned.length;
      deps.metrics?.pruned(target.id, pruned);
    } catch (error) {
      // The backup itself is done; retention runs again after the next one.
      deps.logger?.warn({ err: error, partition: data.partition, target: target.id }, 'retention failed');
    }
    const m = result.manifest;
    deps.logger?.debug(
      { partition: data.partition, target: target.id, status: result.status, backup: m.id },
      'backup done',
    );
    return {
      partition: data.partition,
      target: target.id,
      status: result.status,
      backup: m.id,
      kind: m.kind,
      watermark: m.watermark,
      records: result.status === 'written' ? m.records : 0,
      bytes: result.status === 'written' ? m.bytes : 0,
      rawBytes: result.status === 'written' ? m.rawBytes : 0,
      startedAt,
      durationMs: Math.round(result.durationMs),
      pruned,
    };
  }, `partition ${data.partition}, target ${data.target}`);
}

/**
 * A sweep finds what changed BEFORE any job or file exists: one listing per data node gives every
 * partition's digest root, compared with the roots last backed up; only changed (or never backed up)
 * pairs get a job. Empty partitions cost nothing; a whole sweep notes them in each target's coverage.json
 * (rewritten only when that set changes).
 */
async function runSweepJob(job: Job, deps: BackupJobDeps): Promise<BackupSweepResult> {
  const data = parseJobData(backupSweepJobSchema, job);
  const begun = performance.now();
  if (!deps.queue)
    throw new UnrecoverableError('INTERNAL: a backup sweep needs deps.queue (the backup queue)');
  const cluster = deps.cluster();
  const matrix = backupMatrixFor(deps.settings, cluster.partitions);
  const round = roundOf(`${job.id}/${job.timestamp}`);
  const source = await sourceRoots(cluster, { timeoutMs: deps.requestTimeoutMs, signal: deps.signal });
  const recorded = deps.roots
    ? await deps.roots.read().catch((error: Error) => {
        deps.logger?.warn(
          { err: error.message },
          'backed-up roots unreadable: every pair with data is enqueued',
        );
        return new Map<string, string>();
      })
    : new Map<string, string>();
  const plan = planSweep({ ...data, matrix, source, recorded });
  if (!data.partitions && !data.targets) {
    await recordEmptyPartitions(deps.settings.targets, cluster.partitions, plan).catch((error: Error) =>
      deps.logger?.warn({ err: error.message }, 'could not record the empty partitions on the targets'),
    );
  }
  // Unchanged pairs are current as of this sweep's listing (what "last backed up" means for the RPO),
  // and so is a partition with nothing in it: neither is "too old" or "missing" for the alerts.
  const now = Date.now();
  for (const [key] of plan.confirmed) deps.metrics?.recordCoverage(Number(key.split('/')[0]), now);
  for (const list of plan.emptyByTarget.values()) for (const p of list) deps.metrics?.recordCoverage(p, now);
  await deps.roots
    ?.record(plan.confirmed, Date.now())
    .catch((error: Error) =>
      deps.logger?.warn({ err: error.message }, 'could not record the unchanged partitions'),
    );
  if (plan.pairs.length > 0) await enqueueBackupRound(deps.queue, plan.pairs, data.kind, round);
  const result: BackupSweepResult = {
    job: 'backup-sweep',
    kind: data.kind,
    round,
    enqueued: plan.pairs.length,
    unchanged: plan.unchanged,
    empty: plan.empty,
    down: source.down,
    durationMs: Math.round(performance.now() - begun),
  };
  if (source.down.length > 0) deps.logger?.warn(result, 'backup sweep: some data nodes did not answer');
  else if (plan.pairs.length > 0) deps.logger?.info(result, 'backup sweep enqueued changed partitions');
  return result;
}

async function runDrillJob(job: Job, deps: BackupJobDeps): Promise<BackupJobResult> {
  const data = parseJobData(backupDrillJobSchema, job);
  const cluster = deps.cluster();
  // A scheduled drill samples partitions that have backups: an empty or not yet backed-up partition
  // has nothing to restore, which is not a failed drill.
  let sampled = data.partitions;
  if (!sampled) {
    const withBackups = new Set<number>();
    for (const target of deps.settings.targets)
      for (const p of await partitionsOnTarget(target)) if (p < cluster.partitions) withBackups.add(p);
    if (withBackups.size === 0) {
      deps.logger?.info('no backups yet; drill skipped');
      return {
        job: 'backup-drill',
        ok: true,
        rtoMs: 0,
        rpoMs: null,
        records: 0,
        rawBytes: 0,
        partitions: [],
        failures: [],
      };
    }
    const all = [...withBackups];
    sampled = samplePartitions(all.length, data.sample ?? deps.settings.drillSample).map((i) => all[i]!);
  }
  const result = await runRestoreDrill({
    targets: deps.settings.targets,
    partitions: cluster.partitions,
    sampled,
    sample: data.sample ?? deps.settings.drillSample,
    replicasOf: (p) => cluster.replicasOf(p),
    key: deps.settings.key,
    signing: deps.settings.signing,
    scratchDir: deps.settings.scratchDir,
    overlapMs: deps.settings.overlapMs,
    signal: deps.signal,
    requestTimeoutMs: deps.requestTimeoutMs,
  });
  deps.metrics?.drilled(result);
  await deps.roots
    ?.recordDrill({
      at: Date.now(),
      ok: result.ok,
      rtoMs: Math.round(result.rtoMs),
      rpoMs: result.rpoMs === null ? null : Math.round(result.rpoMs),
      partitions: result.partitions.length,
    })
    .catch(() => undefined);
  const failures = result.partitions
    .filter((p) => !p.ok)
    .map((p) => `partition ${p.partition}: ${p.error?.message ?? 'failed'}`);
  if (!result.ok) deps.logger?.error({ failures }, 'restore drill failed');
  return {
    job: 'backup-drill',
    ok: result.ok,
    rtoMs: Math.round(result.rtoMs),
    rpoMs: result.rpoMs === null ? null : Math.round(result.rpoMs),
    records: result.records,
    rawBytes: result.rawBytes,
    partitions: result.partitions.map((p) => p.partition),
    failures,
  };
}

async function runVerifyJob(job: Job, deps: BackupJobDeps): Promise<BackupJobResult> {
  const data = parseJobData(backupVerifyJobSchema, job);
  const targets = data.targets
    ? data.targets.map((id) => targetById(deps.settings.targets, id))
    : deps.settings.targets;
  const summary = await verifyTargets(targets, {
    deep: data.deep,
    key: deps.settings.key,
    signing: deps.settings.signing,
    partitions: data.partitions,
    signal: deps.signal,
  });
  deps.metrics?.verified(summary);
  if (!summary.ok)
    deps.logger?.error({ problems: summary.problems.slice(0, 20) }, 'backup verify found problems');
  return {
    job: 'backup-verify',
    ok: summary.ok,
    partitions: summary.partitions,
    backups: summary.backups,
    segments: summary.segments,
    bytes: summary.bytes,
    problems: summary.problems.slice(0, 100).map((p) => `${p.code}: ${p.message}`),
  };
}

/**
 * The processor of the `restore` queue: restores one partition into every replica of its current
 * placement. A refused partition (damaged backup, wrong key, no backup) fails the job at once, its
 * message naming the file; replicas that could not be reached make it retry.
 */
export async function processRestoreJob(job: Job, deps: BackupJobDeps): Promise<PartitionRestoreResult> {
  if (job.name !== RESTORE_JOB_NAMES.partition) {
    throw new UnrecoverableError(
      `JOB_INVALID: the restore queue has no job named ${JSON.stringify(job.name)}`,
    );
  }
  const data = parseJobData(restorePartitionJobSchema, job);
  const cluster = deps.cluster();
  const targets = data.targets
    ? data.targets.map((id) => targetById(deps.settings.targets, id))
    : deps.settings.targets;
  const result = await restorePartition({
    partition: data.partition,
    partitions: cluster.partitions,
    targets,
    replicas: cluster.replicasOf(data.partition),
    at: data.at,
    allowOlder: data.allowOlder,
    key: deps.settings.key,
    signing: deps.settings.signing,
    signal: deps.signal,
    requestTimeoutMs: deps.requestTimeoutMs,
  });
  deps.metrics?.restored(result);
  if (result.status === 'restored') return result;
  const code = result.error?.code ?? 'INTERNAL';
  const message = `${code}: ${result.error?.message ?? 'restore failed'}`;
  if (PERMANENT.has(code)) throw new UnrecoverableError(message);
  throw new Error(message);
}
