import { randomBytes } from 'node:crypto';
import type { DataNodeApi } from '@redoubt/cluster-client';
import { RedoubtError, toRedoubtError } from '@redoubt/errors';
import { partitionOf } from '@redoubt/hashing';
import { HybridClock, validateKey, type Version } from '@redoubt/records';
import type { BackupTarget } from './backup-targets.js';
import type { ManifestSigning } from './manifest-mac.js';
import { pointInTimeChain, stateAt, type PointInTimeChain } from './point-in-time.js';
import type { RestoreProblem } from './restore-partition.js';
import { applyUndoChanges, type UndoWriteResult } from './undo-apply.js';
import {
  diffAgainstPast,
  readLiveKey,
  readLivePartition,
  type UndoAction,
  type UndoChange,
} from './undo-plan.js';
import { wallOf } from './version-bounds.js';

/** What an undo covers: one key, every key with a prefix (all partitions), or whole partitions. */
export type UndoScope = { key: string } | { prefix: string } | { partitions: readonly number[] };

export interface UndoOptions {
  scope: UndoScope;
  /** T: a version (parsePointInTime turns a date into the newest version of its millisecond). */
  at: Version;
  /** P of the cluster. */
  partitions: number;
  targets: readonly BackupTarget[];
  key?: Buffer;
  /** Authenticates every manifest read (manifest-mac.ts). */
  signing: ManifestSigning;
  replicasOf: (partition: number) => readonly DataNodeApi[];
  /** Placement epoch (carried into the replica sets, as the gateway does). */
  epoch?: number;
  /** R and W of the gateway (READ_QUORUM, WRITE_QUORUM). */
  readQuorum: number;
  writeQuorum: number;
  /** false: preview only, nothing is written. true: preview pass over every partition, then the writes. */
  apply: boolean;
  /** Partitions worked on at once (default 8; memory is bounded by that many partitions' scoped keys). */
  concurrency?: number;
  /** Entries per action in the sample (default 10). */
  sampleSize?: number;
  requestTimeoutMs?: number;
  signal?: AbortSignal;
  /** Called after each partition of each pass. */
  onPartition?: (pass: 'preview' | 'apply', done: number, total: number) => void;
  now?: () => number;
}

export interface UndoSampleEntry {
  key: string;
  partition: number;
  current: Version | null;
  /** The version as of T whose content comes back (null for a delete). */
  past: Version | null;
  /** Value bytes written (0 for a delete). */
  bytes: number;
}

export interface UndoCounts {
  overwrite: number;
  delete: number;
  bringBack: number;
  unchanged: number;
  /** Value bytes the undo writes, and the bytes of current values it replaces or deletes. */
  bytesToWrite: number;
  bytesReplaced: number;
  sample: { overwrite: UndoSampleEntry[]; delete: UndoSampleEntry[]; bringBack: UndoSampleEntry[] };
}

export interface UndoGap {
  partition: number;
  target: string;
  /** Until when the backups reflect the partition; T is `gapMs` after it. */
  coveredUntil: string;
  gapMs: number;
}

export interface UndoWrites {
  /** Acknowledged by W replicas. */
  written: number;
  failed: number;
  /** A newer write (made during the undo) already held by a replica: it wins. */
  superseded: number;
  /** Keys written at W but not on every replica (read repair and anti-entropy converge those). */
  missedReplicas: number;
  /** Failed keys (the first 100) and partitions that could not be undone at all. */
  failures: UndoWriteResult[];
  failedPartitions: { partition: number; error: string }[];
}

export interface UndoSummary {
  ok: boolean;
  at: Version;
  partitions: number;
  preview: UndoCounts;
  /** What the apply pass found and wrote (null for a preview). */
  applied: (UndoCounts & { writes: UndoWrites }) | null;
  gaps: UndoGap[];
  problems: RestoreProblem[];
  durationMs: number;
}

const ACTION_KEY: Record<UndoAction, keyof UndoCounts['sample']> = {
  overwrite: 'overwrite',
  delete: 'delete',
  'bring-back': 'bringBack',
};

function emptyCounts(): UndoCounts {
  return {
    overwrite: 0,
    delete: 0,
    bringBack: 0,
    unchanged: 0,
    bytesToWrite: 0,
    bytesReplaced: 0,
    sample: { overwrite: [], delete: [], bringBack: [] },
  };
}

function count(into: UndoCounts, partition: number, changes: UndoChange[], unchanged: number, size: number) {
  into.unchanged += unchanged;
  for (const change of changes) {
    const kind = ACTION_KEY[change.action];
    into[kind]++;
    const bytes = change.action === 'delete' ? 0 : (change.past?.value.byteLength ?? 0);
    into.bytesToWrite += bytes;
    into.bytesReplaced += change.current && !change.current.tombstone ? change.current.value.byteLength : 0;
    if (into.sample[kind].length < size) {
      into.sample[kind].push({
        key: change.key,
        partition,
        current: change.current?.version ?? null,
        past: change.action === 'delete' ? null : (change.past?.version ?? null),
        bytes,
      });
    }
  }
}

/** The partitions a scope visits and which of their keys it keeps. */
export function scopePartitions(
  scope: UndoScope,
  partitions: number,
): { list: number[]; wanted: (key: string) => boolean; key?: string } {
  if ('key' in scope) {
    validateKey(scope.key);
    const key = scope.key;
    return { list: [partitionOf(key, partitions)], wanted: (k) => k === key, key };
  }
  if ('prefix' in scope) {
    if (scope.prefix === '') {
      throw new RedoubtError(
        'INVALID_ARGUMENT',
        '--prefix must not be empty (use --partition 0-N for whole partitions)',
      );
    }
    const prefix = scope.prefix;
    return { list: Array.from({ length: partitions }, (_, p) => p), wanted: (k) => k.startsWith(prefix) };
  }
  for (const p of scope.partitions) {
    if (!Number.isInteger(p) || p < 0 || p >= partitions)
      throw new RedoubtError('INVALID_ARGUMENT', `partition ${p} is not in 0..${partitions - 1}`);
  }
  return { list: [...new Set(scope.partitions)].sort((a, b) => a - b), wanted: () => true };
}

interface PartitionPlan {
  chain: PointInTimeChain;
  changes: UndoChange[];
  unchanged: number;
}

async function planPartition(
  partition: number,
  options: UndoOptions,
  scope: ReturnType<typeof scopePartitions>,
): Promise<PartitionPlan> {
  const chain = await pointInTimeChain(options.targets, partition, options.at, {
    key: options.key,
    signing: options.signing,
    partitions: options.partitions,
    signal: options.signal,
  });
  const replicas = options.replicasOf(partition);
  const read = { readQuorum: options.readQuorum, wanted: scope.wanted, signal: options.signal };
  const [past, current] = await Promise.all([
    stateAt(chain, { key: options.key, wanted: scope.wanted, signal: options.signal }),
    scope.key !== undefined
      ? readLiveKey(replicas, partition, scope.key, { ...read, timeoutMs: options.requestTimeoutMs })
      : readLivePartition(replicas, partition, read),
  ]);
  if (scope.key !== undefined && past.size === 0 && current.size === 0) {
    throw new RedoubtError(
      'RECORD_NOT_FOUND',
      `key ${JSON.stringify(scope.key)} is in no backup of partition ${partition} at or before ${new Date(wallOf(options.at)).toISOString()} and not in the cluster`,
      { key: scope.key, partition },
    );
  }
  return { chain, ...diffAgainstPast(past, current, options.at) };
}

/** Runs `work` over the partitions, `concurrency` at once; the first error stops the pass and is thrown. */
async function eachPartition(
  list: number[],
  concurrency: number,
  work: (partition: number) => Promise<void>,
  onDone: (done: number) => void,
): Promise<void> {
  let next = 0;
  let done = 0;
  let failure: unknown;
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(concurrency, list.length)) }, async () => {
      while (next < list.length && failure === undefined) {
        const partition = list[next++]!;
        try {
          await work(partition);
        } catch (error) {
          failure ??= error;
        }
        onDone(++done);
      }
    }),
  );
  if (failure !== undefined) throw failure;
}

/**
 * Point-in-time undo (`redoubt restore --at T --replace`): brings the keys in scope back to their state
 * as of T — overwriting later writes, deleting keys created after T, bringing back keys deleted after T —
 * by writing NEW versions above the current ones, so replication, read repair and last-writer-wins carry
 * the undo instead of undoing it.
 *
 * Pass 1 (always) plans every partition from its backups and a quorum read of its replicas, and writes
 * nothing: any refusal (T before the backups, damaged backups, too few replicas, unknown key) throws
 * here, before a single write. Pass 2 (`apply`) plans each partition again from fresh reads (the state may
 * have moved since the preview) and writes its changes at once through the quorum write path.
 */
export async function undoToPointInTime(options: UndoOptions): Promise<UndoSummary> {
  const begun = performance.now();
  const now = options.now ?? Date.now;
  if (wallOf(options.at) > now()) {
    throw new RedoubtError(
      'INVALID_ARGUMENT',
      `--at ${new Date(wallOf(options.at)).toISOString()} is in the future: nothing has happened after it yet`,
    );
  }
  const scope = scopePartitions(options.scope, options.partitions);
  const concurrency = options.concurrency ?? 8;
  const sampleSize = options.sampleSize ?? 10;
  const summary: UndoSummary = {
    ok: true,
    at: options.at,
    partitions: scope.list.length,
    preview: emptyCounts(),
    applied: null,
    gaps: [],
    problems: [],
    durationMs: 0,
  };
  await eachPartition(
    scope.list,
    concurrency,
    async (partition) => {
      const plan = await planPartition(partition, options, scope);
      count(summary.preview, partition, plan.changes, plan.unchanged, sampleSize);
      summary.problems.push(...plan.chain.problems);
      if (plan.chain.gapMs > 0) {
        summary.gaps.push({
          partition,
          target: plan.chain.target.id,
          coveredUntil: new Date(plan.chain.coveredUntil).toISOString(),
          gapMs: plan.chain.gapMs,
        });
      }
    },
    (done) => options.onPartition?.('preview', done, scope.list.length),
  );
  summary.gaps.sort((a, b) => a.partition - b.partition);
  if (options.apply) summary.applied = await applyPass(options, scope, concurrency, sampleSize);
  summary.ok =
    summary.applied === null ||
    summary.applied.writes.failedPartitions.length + summary.applied.writes.failed === 0;
  summary.durationMs = Math.round(performance.now() - begun);
  return summary;
}

async function applyPass(
  options: UndoOptions,
  scope: ReturnType<typeof scopePartitions>,
  concurrency: number,
  sampleSize: number,
): Promise<UndoCounts & { writes: UndoWrites }> {
  const clock = new HybridClock(`undo-${randomBytes(4).toString('hex')}`);
  const applied = {
    ...emptyCounts(),
    writes: {
      written: 0,
      failed: 0,
      superseded: 0,
      missedReplicas: 0,
      failures: [],
      failedPartitions: [],
    } as UndoWrites,
  };
  await eachPartition(
    scope.list,
    concurrency,
    async (partition) => {
      try {
        const plan = await planPartition(partition, options, scope);
        count(applied, partition, plan.changes, plan.unchanged, sampleSize);
        const results = await applyUndoChanges(plan.changes, {
          set: { partition, epoch: options.epoch ?? 0, replicas: options.replicasOf(partition) },
          w: options.writeQuorum,
          clock,
        });
        for (const r of results) {
          if (r.ok) applied.writes.written++;
          else {
            applied.writes.failed++;
            if (applied.writes.failures.length < 100) applied.writes.failures.push(r);
          }
          if (r.superseded) applied.writes.superseded++;
          if (r.missed.length > 0) applied.writes.missedReplicas++;
        }
      } catch (error) {
        if (options.signal?.aborted) throw error;
        const e = toRedoubtError(error);
        applied.writes.failedPartitions.push({ partition, error: `${e.code}: ${e.message}` });
      }
    },
    (done) => options.onPartition?.('apply', done, scope.list.length),
  );
  applied.writes.failedPartitions.sort((a, b) => a.partition - b.partition);
  return applied;
}
