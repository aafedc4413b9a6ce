import { randomBytes } from 'node:crypto';
import {
  assertTargetWritable,
  backupMatrixFor,
  backupPairs,
  backupPartition,
  enqueueBackupRound,
  pruneBackups,
  roundOf,
  targetById,
  type BackupPartitionJobResult,
} from '@redoubt/backup';
import { toRedoubtError } from '@redoubt/errors';
import { QUEUES } from '@redoubt/queues';
import { clusterMapOf, parsePartitionList, requireRedis, resolveContext } from './cli-context.js';
import { assertConsumed, openJobQueue } from './job-waiter.js';
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
  total: number;
  written: number;
  unchanged: number;
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
  const pairs = backupPairs(backupMatrixFor(settings, context.partitions), { partitions, targets });
  const kind = options.full ? 'full' : 'auto';
  const round = roundOf(`cli/${Date.now()}/${randomBytes(8).toString('hex')}`);
  const report: BackupNowReport = {
    ok: false,
    mode: options.local ? 'local' : 'queue',
    kind,
    round,
    total: pairs.length,
    written: 0,
    unchanged: 0,
    failed: 0,
    records: 0,
    bytes: 0,
    rawBytes: 0,
    durationMs: 0,
    results: [],
  };
  out.line(
    `backup (${report.mode}, ${kind}): ${pairs.length} partition backup(s) over ${new Set(pairs.map((p) => p.target)).size} target(s); cluster from ${context.source}`,
  );
  const progress = new Progress('backup', pairs.length, { enabled: !out.json });
  const add = (entry: BackupNowEntry) => {
    report.results.push(entry);
    report[entry.status]++;
    report.records += entry.records;
    report.bytes += entry.bytes;
    report.rawBytes += entry.rawBytes;
    progress.advance(
      1,
      entry.status === 'failed'
        ? `failed: partition ${entry.partition} on ${entry.target}`
        : `partition ${entry.partition} -> ${entry.target}`,
    );
  };
  try {
    if (options.local) await runLocally(pairs, kind, round, context, add, (text) => out.line(text));
    else await runInWorker(pairs, kind, round, context, options.timeout, add);
  } finally {
    progress.stop();
  }
  report.results.sort((a, b) => a.partition - b.partition || a.target.localeCompare(b.target));
  report.ok = report.failed === 0;
  report.durationMs = Math.round(performance.now() - begun);
  out.result(report, (r) => {
    console.log(
      `backup ${r.ok ? 'done' : 'FAILED'}: ${r.written} written, ${r.unchanged} unchanged, ${r.failed} failed of ${r.total}; ` +
        `${r.records} records, ${formatBytes(r.bytes)} stored (${formatBytes(r.rawBytes)} raw) in ${formatDuration(r.durationMs)}`,
    );
    for (const f of r.results.filter((e) => e.status === 'failed').slice(0, 20))
      console.log(`  partition ${f.partition} on ${f.target}: ${f.error}`);
  });
  return report;
}

async function runLocally(
  pairs: { partition: number; target: string }[],
  kind: 'full' | 'auto',
  round: string,
  context: ReturnType<typeof resolveContext>,
  add: (entry: BackupNowEntry) => void,
  note: (text: string) => void,
): Promise<void> {
  const { settings } = context;
  for (const id of new Set(pairs.map((p) => p.target)))
    await assertTargetWritable(targetById(settings.targets, id));
  const { map, placement } = await clusterMapOf(context);
  note(`reading replicas of placement ${placement}`);
  try {
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
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
            add({
              partition,
              target: targetId,
              status: 'failed',
              backup: null,
              kind: null,
              records: 0,
              bytes: 0,
              rawBytes: 0,
              error: `${e.code}: ${e.message}`,
            });
          }
        }
      }),
    );
  } finally {
    await map.close();
  }
}

async function runInWorker(
  pairs: { partition: number; target: string }[],
  kind: 'full' | 'auto',
  round: string,
  context: ReturnType<typeof resolveContext>,
  timeoutSeconds: number,
  add: (entry: BackupNowEntry) => void,
): Promise<void> {
  const session = openJobQueue(requireRedis(context), QUEUES.backup, context.queuePrefix);
  const { queue, waiter } = session;
  try {
    await assertConsumed(
      queue,
      'start the stack (npm start) or the backup-worker, or run with --local to back up from this process',
    );
    const byId = new Map<string, { partition: number; target: string }>();
    await waiter.start((outcome) => {
      const pair = byId.get(outcome.id);
      if (!pair) return;
      const value = outcome.value as Partial<BackupPartitionJobResult> | undefined;
      if (outcome.ok && value) {
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
        add({
          partition: pair.partition,
          target: pair.target,
          status: 'failed',
          backup: null,
          kind: null,
          records: 0,
          bytes: 0,
          rawBytes: 0,
          error: outcome.failedReason ?? 'failed',
        });
      }
    });
    const ids = await enqueueBackupRound(queue, pairs, kind, round);
    ids.forEach((id, i) => byId.set(id, pairs[i]!));
    waiter.expect(ids);
    await waiter.wait(timeoutSeconds * 1000);
  } finally {
    await session.close();
  }
}
