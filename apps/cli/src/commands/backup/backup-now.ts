import { randomBytes } from 'node:crypto';
import {
  assertTargetWritable,
  backupJobId,
  backupMatrixFor,
  backupPartition,
  enqueueBackupRound,
  planSweep,
  pruneBackups,
  redisRootStore,
  retentionDue,
  roundOf,
  sourceRoots,
  targetById,
  type BackupPartitionJobResult,
} from '@redoubt/backup';
import type { ClusterMap } from '@redoubt/cluster-client';
import { RedoubtError, toRedoubtError } from '@redoubt/errors';
import { QUEUES } from '@redoubt/queues';
import { clusterMapOf, parsePartitionList, requireRedis, resolveContext } from './cli-context.js';
import { assertConsumed, openJobQueue, type JobQueueSession } from './job-waiter.js';
import type { Output } from './output.js';
import { formatBytes, formatDuration, Progress } from './progress.js';

export interface BackupNowOptions {
  partition?: string;
  target?: string;
  full?: boolean;
  local?: boolean;
  timeout: number;
}

export interface BackupNowEntry {
  partition: number;
  target: string;
  status: 'written' | 'unchanged' | 'failed';
  backup: string | null;
  kind: 'full' | 'incremental' | null;
  records: number;
  bytes: number;
  rawBytes: number;
  error: string | null;
}

export interface BackupNowReport {
  ok: boolean;
  mode: 'queue' | 'local';
  kind: 'full' | 'auto';
  round: string;
  /** Cells of the backup matrix asked for. */
  total: number;
  written: number;
  /** Backed up before and found unchanged (by digest root, without a job; or by the job). */
  unchanged: number;
  /** Cells whose partition holds no record and was never backed up: nothing to do. */
  empty: number;
  failed: number;
  records: number;
  bytes: number;
  rawBytes: number;
  durationMs: number;
  results: BackupNowEntry[];
}

/**
 * `redoubt backup now`. By default the backups run where they always run, in the backup-worker: one job
 * per (partition, target) of the backup matrix is enqueued (one round, idempotent ids) and the command
 * follows them to the end, the progress bar advancing with each completion. `--local` runs the same
 * backups in this process instead (no Redis or worker needed, e.g. while the worker is down).
 */
export async function backupNow(options: BackupNowOptions, out: Output): Promise<BackupNowReport> {
  const begun = performance.now();
  const context = resolveContext();
  const { settings } = context;
  const partitions = parsePartitionList(options.partition, context.partitions);
  const targets = options.target
    ? options.target.split(',').map((id) => targetById(settings.targets, id.trim()).id)
    : undefined;
  const kind = options.full ? 'full' : 'auto';
  const round = roundOf(`cli/${Date.now()}/${randomBytes(8).toString('hex')}`);
  const matrix = backupMatrixFor(settings, context.partitions);
  const report: BackupNowReport = {
    ok: false,
    mode: options.local ? 'local' : 'queue',
    kind,
    round,
    total: 0,
    written: 0,
    unchanged: 0,
    empty: 0,
    failed: 0,
    records: 0,
    bytes: 0,
    rawBytes: 0,
    durationMs: 0,
    results: [],
  };
  const { map, placement } = await clusterMapOf(context);
  let progress: Progress | undefined;
  const add = (entry: BackupNowEntry) => {
    report.results.push(entry);
    report[entry.status]++;
    report.records += entry.records;
    report.bytes += entry.bytes;
    report.rawBytes += entry.rawBytes;
    progress?.advance(
      1,
      entry.status === 'failed'
        ? `failed: partition ${entry.partition} on ${entry.target}`
        : `partition ${entry.partition} -> ${entry.target}, ${formatBytes(report.bytes)} stored`,
    );
  };
  try {
    const session = options.local
      ? undefined
      : openJobQueue(requireRedis(context), QUEUES.backup, context.queuePrefix);
    try {
      // What changed, before any job exists: one digest listing per data node against the roots last
      // backed up (kept by the worker beside the queue); empty partitions need nothing.
      const source = await sourceRoots(map, { timeoutMs: 10_000 });
      let recorded = new Map<string, string>();
      if (session) {
        try {
          await session.queue.waitUntilReady(); // the connection has no offline queue
          recorded = await redisRootStore(session.connection, session.queue.toKey('')).read();
        } catch (error) {
          out.line(
            `cannot read the backed-up roots (${(error as Error).message}): every partition with data is asked`,
          );
        }
      }
      const plan = planSweep({ matrix, kind, source, recorded, partitions, targets });
      report.total =
        plan.pairs.length +
        plan.unchanged +
        [...plan.emptyByTarget.values()].reduce((n, l) => n + l.length, 0);
      report.unchanged = plan.unchanged;
      report.empty = report.total - plan.pairs.length - plan.unchanged;
      out.line(
        `backup (${report.mode}, ${kind}): ${plan.pairs.length} of ${report.total} partition backup(s) to take ` +
          `(${plan.unchanged} unchanged, ${report.empty} empty); cluster from ${context.source}, placement ${placement}` +
          (source.down.length > 0 ? `; not answering: ${source.down.map((d) => d.node).join(', ')}` : ''),
      );
      progress = new Progress('backup', plan.pairs.length, { enabled: !out.json });
      if (session) await runInWorker(plan.pairs, kind, round, session, options.timeout, add);
      else await runLocally(plan.pairs, kind, round, context, map, add);
    } finally {
      progress?.stop();
      await session?.close();
    }
  } finally {
    await map.close();
  }
  report.results.sort((a, b) => a.partition - b.partition || a.target.localeCompare(b.target));
  report.ok = report.failed === 0;
  report.durationMs = Math.round(performance.now() - begun);
  out.result(report, (r) => {
    console.log(
      `backup ${r.ok ? 'done' : 'FAILED'}: ${r.written} written, ${r.unchanged} unchanged, ${r.empty} empty, ${r.failed} failed of ${r.total}; ` +
        `${r.records} records, ${formatBytes(r.bytes)} stored (${formatBytes(r.rawBytes)} raw) in ${formatDuration(r.durationMs)}`,
    );
    const failures = r.results.filter((e) => e.status === 'failed');
    for (const f of failures.slice(0, 20))
      console.log(`  partition ${f.partition} on ${f.target}: ${f.error}`);
    if (failures.length > 20) console.log(`  ... and ${failures.length - 20} more (--json lists them all)`);
  });
  return report;
}

/** A pair that was not backed up, and why: the same row whether the CLI or a worker ran it. */
function failedEntry(partition: number, target: string, error: string): BackupNowEntry {
  return {
    partition,
    target,
    status: 'failed',
    backup: null,
    kind: null,
    records: 0,
    bytes: 0,
    rawBytes: 0,
    error,
  };
}

/**
 * Backups at once with --local: BACKUP_CONCURRENCY, as in the worker, default 8. A small partition's
 * backup is a few round trips to a data node and the target, so a small cluster's `backup now` is bound
 * by how many run at once, not by CPU.
 */
function localConcurrency(): number {
  const n = Number(process.env.BACKUP_CONCURRENCY ?? 8);
  if (!Number.isInteger(n) || n < 1 || n > 256) {
    throw new RedoubtError('CONFIG_INVALID', 'BACKUP_CONCURRENCY must be a whole number from 1 to 256', {
      variable: 'BACKUP_CONCURRENCY',
    });
  }
  return n;
}

async function runLocally(
  pairs: { partition: number; target: string }[],
  kind: 'full' | 'auto',
  round: string,
  context: ReturnType<typeof resolveContext>,
  map: ClusterMap,
  add: (entry: BackupNowEntry) => void,
): Promise<void> {
  const { settings } = context;
  for (const id of new Set(pairs.map((p) => p.target)))
    await assertTargetWritable(targetById(settings.targets, id));
  try {
    let next = 0;
    await Promise.all(
      Array.from({ length: localConcurrency() }, async () => {
        while (next < pairs.length) {
          const { partition, target: targetId } = pairs[next++]!;
          const target = targetById(settings.targets, targetId);
          try {
            const result = await backupPartition({
              partition,
              partitions: context.partitions,
              target,
              replicas: map.replicasOf(partition),
              kind,
              compression: settings.compression,
              key: settings.key,
              signing: settings.signing,
              segmentBytes: settings.segmentBytes,
              overlapMs: settings.overlapMs,
              maxChain: settings.maxChain,
              origin: `cli-${round}`,
            });
            if (retentionDue(result, settings.retention))
              await pruneBackups(target, partition, settings.signing, settings.retention).catch(
                () => undefined,
              );
            const m = result.manifest;
            const written = result.status === 'written';
            add({
              partition,
              target: targetId,
              status: result.status,
              backup: m.id,
              kind: m.kind,
              records: written ? m.records : 0,
              bytes: written ? m.bytes : 0,
              rawBytes: written ? m.rawBytes : 0,
              error: null,
            });
          } catch (error) {
            const e = toRedoubtError(error);
            add(failedEntry(partition, targetId, `${e.code}: ${e.message}`));
          }
        }
      }),
    );
  } finally {
    // the caller closes the map
  }
}

/**
 * Enqueues one job per pair and follows them. A pair whose backup is already waiting or running (a
 * scheduled sweep's, another CLI's) is deduplicated onto that job and the command waits on it; if that
 * job had started before this command, its backup may miss what was written since, so the pair is asked
 * once more when it ends.
 */
async function runInWorker(
  pairs: { partition: number; target: string }[],
  kind: 'full' | 'auto',
  round: string,
  session: JobQueueSession,
  timeoutSeconds: number,
  add: (entry: BackupNowEntry) => void,
): Promise<void> {
  const asked = Date.now();
  const { queue, waiter } = session;
  await assertConsumed(
    queue,
    'start the stack (npm start) or the backup-worker, or run with --local to back up from this process',
  );
  if (pairs.length === 0) return;
  const byId = new Map<string, { partition: number; target: string }>();
  const again: { partition: number; target: string }[] = [];
  let retry: Promise<void> = Promise.resolve();
  await waiter.start((outcome) => {
    const pair = byId.get(outcome.id);
    if (!pair) return;
    const value = outcome.value as Partial<BackupPartitionJobResult> | null | undefined;
    const stale =
      outcome.ok &&
      (typeof value?.startedAt !== 'number' ||
        value.startedAt < asked ||
        (kind === 'full' && value.kind !== 'full'));
    if (stale && !again.some((p) => p.partition === pair.partition && p.target === pair.target)) {
      // Someone else's backup that began before we asked: ask for a fresh one, and follow it instead.
      again.push(pair);
      retry = retry.then(async () => {
        const [id] = await enqueueBackupRound(queue, [pair], kind, `${round}r`, {}, true);
        byId.set(id!, pair);
        waiter.expect([id!]);
      });
      return;
    }
    if (outcome.ok && value && typeof value.partition === 'number') {
      add({
        partition: pair.partition,
        target: pair.target,
        status: value.status ?? 'written',
        backup: value.backup ?? null,
        kind: value.kind ?? null,
        records: value.records ?? 0,
        bytes: value.bytes ?? 0,
        rawBytes: value.rawBytes ?? 0,
        error: null,
      });
    } else {
      add(
        failedEntry(
          pair.partition,
          pair.target,
          outcome.ok
            ? `job ${outcome.id} completed without a result`
            : `${outcome.failedReason ?? 'failed (no reason recorded)'} (job ${outcome.id})`,
        ),
      );
    }
  });
  const ids = await enqueueBackupRound(queue, pairs, kind, round, {}, true);
  ids.forEach((id, i) => byId.set(id, pairs[i]!));
  waiter.expect(ids);
  // Pairs that joined a scheduled job still waiting: mark it interactive, so it is not held back by the
  // worker's background share (BACKUP_MAX_SHARE) while an operator waits for it.
  const joined = ids.filter((id, i) => id !== backupJobId({ ...pairs[i]!, kind, round }));
  for (let i = 0; i < joined.length; i += 100) {
    await Promise.all(
      joined.slice(i, i + 100).map(async (id) => {
        const job = await queue.getJob(id).catch(() => undefined);
        if (job && (await job.isWaiting().catch(() => false)))
          await job.updateData({ ...job.data, interactive: true }).catch(() => undefined);
      }),
    );
  }
  // A re-asked pair is expected before its first job leaves `pending`, so wait() never ends early.
  for (;;) {
    await waiter.wait(timeoutSeconds * 1000);
    await retry;
    if (!waiter.hasPending()) break;
  }
}
