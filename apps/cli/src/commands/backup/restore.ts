import { randomBytes } from 'node:crypto';
import {
  BACKUP_JOB_OPTIONS,
  knownEmptyPartitions,
  parsePointInTime,
  planRestore,
  restoreJobId,
  restorePartitions,
  RESTORE_JOB_NAMES,
  roundOf,
  type PartitionRestoreResult,
} from '@redoubt/backup';
import { QUEUES } from '@redoubt/queues';
import {
  clusterMapOf,
  parsePartitionList,
  requireRedis,
  resolveContext,
  type CliContext,
} from './cli-context.js';
import { assertConsumed, openJobQueue } from './job-waiter.js';
import type { Output } from './output.js';
import { formatBytes, formatDuration, Progress } from './progress.js';

export interface RestoreOptions {
  partition?: string;
  at?: string;
  allowOlder?: boolean;
  local?: boolean;
  timeout: number;
}

export interface RestoredPartition {
  partition: number;
  status: 'restored' | 'partial' | 'failed';
  target: string | null;
  backup: string | null;
  watermark: string | null;
  records: number;
  /** Files found missing or damaged on the way (a fallback copy may still have restored the partition). */
  problems: { file: string; code: string; message: string }[];
  error: string | null;
}

export interface RestoreReport {
  ok: boolean;
  mode: 'queue' | 'local';
  /** The placement restored into (--local); in queue mode the worker's current one, so null here. */
  placement: string | null;
  at: string | null;
  total: number;
  /** Partitions restored, including `empty` ones. */
  restored: number;
  /** Partitions that never held data (recorded by the sweeps in coverage.json): nothing to bring back. */
  empty: number;
  partial: number;
  failed: number;
  records: number;
  rawBytes: number;
  durationMs: number;
  partitions: RestoredPartition[];
}

function entryOf(r: PartitionRestoreResult): RestoredPartition {
  return {
    partition: r.partition,
    status: r.status,
    target: r.target,
    backup: r.backup,
    watermark: r.watermark,
    records: r.records,
    problems: r.problems.map((p) => ({ file: p.file, code: p.code, message: p.message })),
    error: r.error ? `${r.error.code}: ${r.error.message}` : null,
  };
}

/**
 * `redoubt restore`: restores partitions (all, or `--partition`) from the newest backup, or the newest at
 * or before `--at`, into every replica of the current placement. Replicas merge by version, so a running
 * cluster keeps anything newer than the backup. A partition whose backup is damaged or encrypted under
 * another key is refused, named with its file, and the others still restore; any refusal exits 1.
 * Runs as restore jobs in the backup-worker by default, or in this process with `--local`.
 */
export async function restore(options: RestoreOptions, out: Output): Promise<RestoreReport> {
  const begun = performance.now();
  const context = resolveContext();
  const partitions = parsePartitionList(options.partition, context.partitions);
  const at = options.at === undefined ? undefined : parsePointInTime(options.at);
  const report: RestoreReport = {
    ok: false,
    mode: options.local ? 'local' : 'queue',
    placement: null,
    at: at ?? null,
    total: partitions.length,
    restored: 0,
    empty: 0,
    partial: 0,
    failed: 0,
    records: 0,
    rawBytes: 0,
    durationMs: 0,
    partitions: [],
  };
  out.line(
    `restore (${report.mode}): ${partitions.length} partition(s)${at ? ` at or before ${at}` : ' from the newest backups'}; cluster from ${context.source}`,
  );
  const add = (entry: RestoredPartition, rawBytes: number) => {
    if (entry.status === 'restored' && entry.backup === null) report.empty++;
    report.partitions.push(entry);
    report[entry.status]++;
    report.records += entry.records;
    report.rawBytes += rawBytes;
  };
  if (options.local) report.placement = await restoreLocally(context, partitions, at, options, out, add);
  else await restoreInWorker(context, partitions, at, options, out, add);
  report.partitions.sort((a, b) => a.partition - b.partition);
  report.ok = report.restored === report.total;
  report.durationMs = Math.round(performance.now() - begun);
  out.result(report, (r) => {
    console.log(
      `restore ${r.ok ? 'done' : 'INCOMPLETE'}: ${r.restored} restored (${r.empty} of them empty), ${r.partial} partial, ${r.failed} refused or failed of ${r.total}; ` +
        `${r.records} records (${formatBytes(r.rawBytes)}) in ${formatDuration(r.durationMs)}`,
    );
    const failures = r.partitions.filter((e) => e.status !== 'restored');
    for (const p of failures.slice(0, 50)) console.log(`  partition ${p.partition}: ${p.error}`);
    if (failures.length > 50) console.log(`  ... and ${failures.length - 50} more (--json lists them all)`);
    const fallbacks = r.partitions.filter((e) => e.status === 'restored' && e.problems.length > 0);
    for (const p of fallbacks.slice(0, 20))
      console.log(
        `  partition ${p.partition} restored from ${p.target} after: ${p.problems.map((x) => x.file).join(', ')}`,
      );
  });
  return report;
}

async function restoreLocally(
  context: CliContext,
  partitions: number[],
  at: string | undefined,
  options: RestoreOptions,
  out: Output,
  add: (entry: RestoredPartition, rawBytes: number) => void,
): Promise<string> {
  const { settings } = context;
  const { map, placement } = await clusterMapOf(context);
  out.line(`restoring into the replicas of placement ${placement}`);
  try {
    const empty =
      at === undefined ? await knownEmptyPartitions(settings.targets, context.partitions) : new Set<number>();
    for (const partition of partitions.filter((p) => empty.has(p))) add(emptyEntry(partition), 0);
    const plan = await planRestore(
      settings.targets,
      partitions.filter((p) => !empty.has(p)),
      settings.signing,
      at,
    );
    const progress = new Progress('restore', plan.rawBytes, { enabled: !out.json, unit: 'bytes' });
    let shown = 0;
    try {
      await restorePartitions({
        plan,
        targets: settings.targets,
        partitions: context.partitions,
        replicasOf: (p) => map.replicasOf(p),
        at,
        key: settings.key,
        signing: settings.signing,
        allowOlder: options.allowOlder,
        onProgress: (done, result) => {
          progress.advance(done - shown);
          shown = done;
          if (result) add(entryOf(result), result.rawBytes);
        },
      });
    } finally {
      progress.stop();
    }
    return placement;
  } finally {
    await map.close();
  }
}

async function restoreInWorker(
  context: CliContext,
  partitions: number[],
  at: string | undefined,
  options: RestoreOptions,
  out: Output,
  add: (entry: RestoredPartition, rawBytes: number) => void,
): Promise<void> {
  const session = openJobQueue(requireRedis(context), QUEUES.restore, context.queuePrefix);
  const { queue, waiter } = session;
  let progress: Progress | undefined;
  try {
    await assertConsumed(queue, 'start the backup-worker, or run with --local to restore from this process');
    // Partitions the sweeps found empty and never backed up have nothing to restore: no job for them.
    const empty =
      at === undefined
        ? await knownEmptyPartitions(context.settings.targets, context.partitions)
        : new Set<number>();
    const todo = partitions.filter((p) => !empty.has(p));
    for (const partition of partitions.filter((p) => empty.has(p))) add(emptyEntry(partition), 0);
    out.line(
      `${todo.length} partition(s) to restore, ${partitions.length - todo.length} empty (never held data)`,
    );
    progress = new Progress('restore', todo.length, { enabled: !out.json });
    let bytes = 0;
    const round = roundOf(`restore/${Date.now()}/${randomBytes(8).toString('hex')}`);
    const byId = new Map(todo.map((p) => [restoreJobId(p, round), p]));
    await waiter.start((outcome) => {
      const partition = byId.get(outcome.id);
      if (partition === undefined) return;
      const result = outcome.value as PartitionRestoreResult | null | undefined;
      if (outcome.ok && result && typeof result.partition === 'number') {
        add(entryOf(result), result.rawBytes);
        bytes += result.rawBytes;
      } else {
        add(
          {
            partition,
            status: 'failed',
            target: null,
            backup: null,
            watermark: null,
            records: 0,
            problems: [],
            error: outcome.ok
              ? `job ${outcome.id} completed without a result`
              : `${outcome.failedReason ?? 'failed (no reason recorded)'} (job ${outcome.id})`,
          },
          0,
        );
      }
      progress?.advance(1, `partition ${partition}, ${formatBytes(bytes)} restored`);
    });
    const jobs = todo.map((partition) => ({
      name: RESTORE_JOB_NAMES.partition,
      data: { partition, ...(at ? { at } : {}), ...(options.allowOlder ? { allowOlder: true } : {}) },
      opts: { ...BACKUP_JOB_OPTIONS, jobId: restoreJobId(partition, round) },
    }));
    for (let i = 0; i < jobs.length; i += 1_000) await queue.addBulk(jobs.slice(i, i + 1_000));
    waiter.expect([...byId.keys()]);
    await waiter.wait(options.timeout * 1000);
  } finally {
    progress?.stop();
    await session.close();
  }
}

function emptyEntry(partition: number): RestoredPartition {
  return {
    partition,
    status: 'restored',
    target: null,
    backup: null,
    watermark: null,
    records: 0,
    problems: [],
    error: null,
  };
}
