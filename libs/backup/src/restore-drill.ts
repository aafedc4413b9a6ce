import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataNodeApi } from '@redoubt/cluster-client';
import { RedoubtError, toRedoubtError, type ErrorCode } from '@redoubt/errors';
import type { StoredRecord, Version } from '@redoubt/records';
import { RecordStore } from '@redoubt/storage';
import { readHead } from './backup-catalog.js';
import type { BackupTarget } from './backup-targets.js';
import { DEFAULT_OVERLAP_MS } from './backup-partition.js';
import type { ManifestSigning } from './manifest-mac.js';
import { chainRecords, preverifyChain, restoreCandidates, type RestoreProblem } from './restore-partition.js';
import { versionFloorAt } from './version-bounds.js';

export interface DrillComparison {
  /** The live replica compared with. */
  node: string;
  /** Keys with the same version (and checksum) in the restore and on the replica. */
  matched: number;
  /** Keys the replica has with a version the backup must hold (older than its coverage bound) but lacks: a backup hole. */
  missingFromBackup: number;
  /** Same version, different checksum. */
  checksumMismatch: number;
  /** Keys written after the backup's coverage bound (expected: the next backup takes them). */
  newerOnReplica: number;
  /** Keys the restore holds newer than the replica, or the replica lacks: the replica is behind (anti-entropy's job). */
  replicaBehind: number;
  /** Up to 10 keys of each failing kind, for the report. */
  samples: {
    kind: 'missingFromBackup' | 'checksumMismatch';
    key: string;
    live: Version;
    backup: Version | null;
  }[];
}

export interface DrillPartitionResult {
  partition: number;
  ok: boolean;
  target: string | null;
  backup: string | null;
  watermark: Version | null;
  records: number;
  rawBytes: number;
  /** Time to restore the partition into scratch space (ms): the measured RTO for it. */
  restoreMs: number;
  /** Age of the restored data: now minus the point in time the backup was last confirmed to cover (ms). */
  rpoMs: number | null;
  comparison: DrillComparison | null;
  problems: RestoreProblem[];
  error: { code: ErrorCode; message: string } | null;
}

export interface DrillResult {
  ok: boolean;
  startedAt: number;
  partitions: DrillPartitionResult[];
  /** Sum of the partitions' restore times (ms). */
  rtoMs: number;
  /** The oldest RPO among the partitions (ms). */
  rpoMs: number | null;
  records: number;
  rawBytes: number;
  durationMs: number;
}

export interface DrillOptions {
  targets: readonly BackupTarget[];
  partitions: number;
  /** Which partitions to drill; default: `sample` random ones. */
  sampled?: readonly number[];
  sample?: number;
  replicasOf: (partition: number) => readonly DataNodeApi[];
  key?: Buffer;
  /** Authenticates every manifest read (manifest-mac.ts). */
  signing: ManifestSigning;
  /** Scratch space for the temporary store; default the OS temp dir. */
  scratchDir?: string;
  overlapMs?: number;
  now?: () => number;
  signal?: AbortSignal;
  requestTimeoutMs?: number;
  random?: () => number;
}

/** `count` distinct partitions out of `partitions`, uniformly. */
export function samplePartitions(
  partitions: number,
  count: number,
  random: () => number = Math.random,
): number[] {
  const n = Math.min(count, partitions);
  const chosen = new Set<number>();
  while (chosen.size < n) chosen.add(Math.floor(random() * partitions));
  return [...chosen].sort((a, b) => a - b);
}

/**
 * A restore drill: restores the latest backup of sampled partitions into a scratch @redoubt/storage store
 * (the data node's own engine, in a temp dir), times it (RTO), measures how old the restored data is
 * (RPO), and compares it key by key with a live replica. Because live data moves on, the comparison is
 * bounded by the backup's coverage: a replica's record older than the start of the newest backup (minus
 * the incremental overlap) must be in the restore with the same version and checksum; newer ones are
 * expected to be missing. Every replica of the partition is tried and the best match counts, so one
 * lagging replica does not fail the drill.
 */
export async function runRestoreDrill(options: DrillOptions): Promise<DrillResult> {
  const now = options.now ?? Date.now;
  const startedAt = now();
  const begun = performance.now();
  const sampled =
    options.sampled ?? samplePartitions(options.partitions, options.sample ?? 4, options.random);
  const scratch = await mkdtemp(join(options.scratchDir ?? tmpdir(), 'redoubt-drill-'));
  const results: DrillPartitionResult[] = [];
  try {
    const store = RecordStore.open({ path: scratch, partitions: options.partitions });
    try {
      for (const partition of sampled) {
        options.signal?.throwIfAborted();
        results.push(await drillPartition(store, partition, options, now));
      }
    } finally {
      await store.close();
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  const rpos = results.map((r) => r.rpoMs).filter((r): r is number => r !== null);
  return {
    ok: results.every((r) => r.ok),
    startedAt,
    partitions: results,
    rtoMs: results.reduce((n, r) => n + r.restoreMs, 0),
    rpoMs: rpos.length > 0 ? Math.max(...rpos) : null,
    records: results.reduce((n, r) => n + r.records, 0),
    rawBytes: results.reduce((n, r) => n + r.rawBytes, 0),
    durationMs: performance.now() - begun,
  };
}

async function drillPartition(
  store: RecordStore,
  partition: number,
  options: DrillOptions,
  now: () => number,
): Promise<DrillPartitionResult> {
  const result: DrillPartitionResult = {
    partition,
    ok: false,
    target: null,
    backup: null,
    watermark: null,
    records: 0,
    rawBytes: 0,
    restoreMs: 0,
    rpoMs: null,
    comparison: null,
    problems: [],
    error: null,
  };
  try {
    const { candidates, problems } = await restoreCandidates(options.targets, partition, options.signing);
    result.problems = problems;
    const best = candidates[0];
    if (!best) throw new RedoubtError('BACKUP_NOT_FOUND', `partition ${partition}: no backup on any target`);
    result.target = best.target.id;
    result.backup = best.tip.id;
    result.watermark = best.tip.watermark;
    result.rawBytes = best.rawBytes;

    const restoreBegun = performance.now();
    await preverifyChain(best, { key: options.key, partitions: options.partitions, signal: options.signal });
    let batch: { partition: number; record: StoredRecord }[] = [];
    const flush = async () => {
      const outcomes = await store.putMany(batch);
      const bad = outcomes.find((o) => o instanceof RedoubtError);
      if (bad) throw bad;
      batch = [];
    };
    for await (const record of chainRecords(best, { key: options.key, signal: options.signal })) {
      result.records++;
      batch.push({ partition, record });
      if (batch.length >= 512) await flush();
    }
    if (batch.length > 0) await flush();
    result.restoreMs = performance.now() - restoreBegun;

    const head = await readHead(best.target, partition);
    const coveredAt =
      head?.latest === best.tip.id ? Math.max(head.coveredAt, best.tip.startedAt) : best.tip.startedAt;
    result.rpoMs = Math.max(0, now() - coveredAt);
    const bound = minVersion(
      best.tip.watermark,
      versionFloorAt(best.tip.startedAt - (options.overlapMs ?? DEFAULT_OVERLAP_MS)),
    );

    let bestComparison: DrillComparison | null = null;
    const failures: string[] = [];
    for (const replica of options.replicasOf(partition)) {
      try {
        const comparison = await compareWithReplica(store, partition, replica, bound, options);
        if (!bestComparison || badness(comparison) < badness(bestComparison)) bestComparison = comparison;
        if (badness(comparison) === 0) break;
      } catch (error) {
        failures.push(`${replica.id}: ${toRedoubtError(error).message}`);
      }
    }
    if (!bestComparison) {
      throw new RedoubtError(
        'REPLICA_UNAVAILABLE',
        `partition ${partition}: no live replica to compare with (${failures.join('; ')})`,
      );
    }
    result.comparison = bestComparison;
    if (badness(bestComparison) > 0) {
      throw new RedoubtError(
        'BACKUP_DRILL_MISMATCH',
        `partition ${partition}: the restore of ${best.tip.id} lacks ${bestComparison.missingFromBackup} key(s) and differs in ${bestComparison.checksumMismatch} from ${bestComparison.node}`,
      );
    }
    result.ok = true;
  } catch (error) {
    if (options.signal?.aborted) throw error;
    const e = toRedoubtError(error);
    result.error = { code: e.code, message: e.message };
  }
  return result;
}

function badness(c: DrillComparison): number {
  return c.missingFromBackup + c.checksumMismatch;
}

async function compareWithReplica(
  store: RecordStore,
  partition: number,
  replica: DataNodeApi,
  bound: Version,
  options: DrillOptions,
): Promise<DrillComparison> {
  const comparison: DrillComparison = {
    node: replica.id,
    matched: 0,
    missingFromBackup: 0,
    checksumMismatch: 0,
    newerOnReplica: 0,
    replicaBehind: 0,
    samples: [],
  };
  const seen = new Set<string>();
  for await (const live of replica.streamOut(partition, {
    signal: options.signal,
    timeoutMs: options.requestTimeoutMs,
  })) {
    seen.add(live.key);
    const restored = store.get(partition, live.key);
    if (restored && restored.version === live.version) {
      if (restored.checksum === live.checksum) comparison.matched++;
      else {
        comparison.checksumMismatch++;
        if (comparison.samples.length < 20)
          comparison.samples.push({
            kind: 'checksumMismatch',
            key: live.key,
            live: live.version,
            backup: restored.version,
          });
      }
    } else if (restored && restored.version > live.version) {
      comparison.replicaBehind++;
    } else if (live.version > bound) {
      comparison.newerOnReplica++;
    } else {
      comparison.missingFromBackup++;
      if (comparison.samples.length < 20)
        comparison.samples.push({
          kind: 'missingFromBackup',
          key: live.key,
          live: live.version,
          backup: restored?.version ?? null,
        });
    }
  }
  for await (const item of store.scan(partition)) {
    if (item.record && !seen.has(item.record.key)) comparison.replicaBehind++;
  }
  return comparison;
}

function minVersion(a: Version, b: Version): Version {
  return a < b ? a : b;
}
