import { Counter, Gauge, Histogram, type Registry } from '@redoubt/telemetry';
import type { BackupPartitionResult } from './backup-partition.js';
import type { DrillResult } from './restore-drill.js';
import type { PartitionRestoreResult } from './restore-partition.js';
import type { VerifySummary } from './verify-backups.js';

const DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900];

export interface BackupMetrics {
  /** Partitions the cluster has: those never backed up count as missing. */
  expectPartitions(partitions: number): void;
  backupFinished(result: BackupPartitionResult): void;
  backupFailed(kind: string): void;
  /** Seeds "last success" from what the targets hold (head.json / manifests), e.g. at worker start. */
  recordCoverage(partition: number, coveredAtMs: number): void;
  pruned(target: string, count: number): void;
  verified(summary: VerifySummary): void;
  drilled(result: DrillResult): void;
  restored(result: PartitionRestoreResult): void;
}

/**
 * The backup metrics, in the service's registry (the backup-worker's). Names:
 * - redoubt_backup_last_success_timestamp_seconds{partition}: newest time a backup of the partition was
 *   confirmed current (written, or found unchanged) on any target;
 * - redoubt_backup_oldest_success_timestamp_seconds: the oldest of those (what "backup too old" watches);
 * - redoubt_backup_partitions_missing: partitions without any backup this process knows of;
 * - redoubt_backup_{bytes,raw_bytes,records}_total, redoubt_backup_duration_seconds, redoubt_backup_jobs_total;
 * - redoubt_backup_verify_failures_total{target}, redoubt_backup_verify_last_run_timestamp_seconds;
 * - redoubt_backup_drill_{rto,rpo}_seconds, redoubt_backup_drill_runs_total{outcome},
 *   redoubt_backup_drill_failures_total, redoubt_backup_drill_last_success_timestamp_seconds;
 * - redoubt_restore_partitions_total{status}, redoubt_restore_records_total.
 */
export function registerBackupMetrics(registry: Registry): BackupMetrics {
  const registers = [registry];
  const lastSuccess = new Map<number, number>();
  let expected = 0;

  const lastSuccessGauge = new Gauge({
    name: 'redoubt_backup_last_success_timestamp_seconds',
    help: 'When a backup of the partition was last confirmed current on any target (unix seconds)',
    labelNames: ['partition'],
    registers,
  });
  new Gauge({
    name: 'redoubt_backup_oldest_success_timestamp_seconds',
    help: 'The oldest last-success time over all backed-up partitions (unix seconds); 0 before any',
    registers,
    collect() {
      let oldest = Infinity;
      for (const t of lastSuccess.values()) oldest = Math.min(oldest, t);
      this.set(Number.isFinite(oldest) ? oldest / 1000 : 0);
    },
  });
  new Gauge({
    name: 'redoubt_backup_partitions_missing',
    help: 'Partitions of the cluster with no backup known to this process',
    registers,
    collect() {
      this.set(Math.max(0, expected - lastSuccess.size));
    },
  });
  const bytes = new Counter({
    name: 'redoubt_backup_bytes_total',
    help: 'Bytes written to backup targets (compressed, encrypted)',
    labelNames: ['target', 'kind'],
    registers,
  });
  const rawBytes = new Counter({
    name: 'redoubt_backup_raw_bytes_total',
    help: 'Record bytes backed up before compression',
    labelNames: ['kind'],
    registers,
  });
  const records = new Counter({
    name: 'redoubt_backup_records_total',
    help: 'Records written to backups',
    labelNames: ['kind'],
    registers,
  });
  const duration = new Histogram({
    name: 'redoubt_backup_duration_seconds',
    help: 'Time to back up one partition to one target',
    labelNames: ['kind'],
    buckets: DURATION_BUCKETS,
    registers,
  });
  const jobs = new Counter({
    name: 'redoubt_backup_jobs_total',
    help: 'Partition backups by outcome (written, unchanged, failed)',
    labelNames: ['kind', 'outcome'],
    registers,
  });
  const pruned = new Counter({
    name: 'redoubt_backup_pruned_total',
    help: 'Backups removed by retention',
    labelNames: ['target'],
    registers,
  });
  const verifyFailures = new Counter({
    name: 'redoubt_backup_verify_failures_total',
    help: 'Problems found by verify (missing or corrupt segments, bad manifests, broken chains)',
    labelNames: ['target'],
    registers,
  });
  const verifyLastRun = new Gauge({
    name: 'redoubt_backup_verify_last_run_timestamp_seconds',
    help: 'When verify last finished (unix seconds)',
    registers,
  });
  const verifiedSegments = new Counter({
    name: 'redoubt_backup_verified_segments_total',
    help: 'Segments re-read by verify',
    registers,
  });
  const drillRto = new Gauge({
    name: 'redoubt_backup_drill_rto_seconds',
    help: 'Time the last restore drill took to restore its sampled partitions',
    registers,
  });
  const drillRpo = new Gauge({
    name: 'redoubt_backup_drill_rpo_seconds',
    help: 'Age of the data the last restore drill restored (oldest sampled partition)',
    registers,
  });
  const drillRuns = new Counter({
    name: 'redoubt_backup_drill_runs_total',
    help: 'Restore drills by outcome',
    labelNames: ['outcome'],
    registers,
  });
  const drillFailures = new Counter({
    name: 'redoubt_backup_drill_failures_total',
    help: 'Restore drills that failed',
    registers,
  });
  const drillLastSuccess = new Gauge({
    name: 'redoubt_backup_drill_last_success_timestamp_seconds',
    help: 'When a restore drill last passed (unix seconds)',
    registers,
  });
  const restoredPartitions = new Counter({
    name: 'redoubt_restore_partitions_total',
    help: 'Partitions restored, by status',
    labelNames: ['status'],
    registers,
  });
  const restoredRecords = new Counter({
    name: 'redoubt_restore_records_total',
    help: 'Records sent to replicas by restores',
    registers,
  });

  const recordCoverage = (partition: number, coveredAtMs: number) => {
    const previous = lastSuccess.get(partition) ?? 0;
    if (coveredAtMs <= previous) return;
    lastSuccess.set(partition, coveredAtMs);
    lastSuccessGauge.set({ partition: String(partition) }, coveredAtMs / 1000);
  };

  return {
    expectPartitions(partitions) {
      expected = partitions;
    },
    backupFinished(result) {
      const kind = result.status === 'unchanged' ? 'incremental' : result.manifest.kind;
      jobs.inc({ kind, outcome: result.status });
      duration.observe({ kind }, result.durationMs / 1000);
      if (result.status === 'written') {
        bytes.inc({ target: result.target, kind }, result.manifest.bytes);
        rawBytes.inc({ kind }, result.manifest.rawBytes);
        records.inc({ kind }, result.manifest.records);
      }
      recordCoverage(result.partition, result.head.coveredAt);
    },
    backupFailed(kind) {
      jobs.inc({ kind, outcome: 'failed' });
    },
    recordCoverage,
    pruned(target, count) {
      if (count > 0) pruned.inc({ target }, count);
    },
    verified(summary) {
      for (const problem of summary.problems) verifyFailures.inc({ target: problem.target });
      for (const target of summary.targets) verifyFailures.inc({ target }, 0);
      verifiedSegments.inc(summary.segments);
      verifyLastRun.set(Date.now() / 1000);
    },
    drilled(result) {
      drillRuns.inc({ outcome: result.ok ? 'passed' : 'failed' });
      drillFailures.inc(result.ok ? 0 : 1);
      drillRto.set(result.rtoMs / 1000);
      if (result.rpoMs !== null) drillRpo.set(result.rpoMs / 1000);
      if (result.ok) drillLastSuccess.set(Date.now() / 1000);
    },
    restored(result) {
      restoredPartitions.inc({ status: result.status });
      restoredRecords.inc(result.records);
    },
  };
}
