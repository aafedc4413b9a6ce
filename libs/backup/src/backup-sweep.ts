import type { DataNodeApi } from '@redoubt/cluster-client';
import { toRedoubtError } from '@redoubt/errors';
import type { PlacementMatrix } from '@redoubt/placement';
import { backupPairs } from './backup-jobs.js';
import { updateCoverage } from './backup-coverage.js';
import type { BackupTarget } from './backup-targets.js';

/** The root recorded for a partition that held no record (no digest needed to know it). */
export const EMPTY_ROOT = 'empty';

/**
 * The digest root each (partition, target) was last backed up (or confirmed unchanged) at. A cache: with
 * nothing recorded, a sweep enqueues the pair and the job itself finds out (from the target) whether
 * anything changed. Keys are `<partition>/<target>`.
 */
export interface BackupRootStore {
  read(): Promise<Map<string, string>>;
  record(entries: readonly (readonly [string, string])[]): Promise<void>;
}

export const rootKey = (partition: number, target: string) => `${partition}/${target}`;

/** The Redis commands the root store needs (an ioredis client has them). */
export interface RootHash {
  hgetall(key: string): Promise<Record<string, string>>;
  hset(key: string, values: Record<string, string>): Promise<unknown>;
}

/** The store in the queues' Redis: one hash, `<prefix>:backup:roots` (`queue.toKey('roots')`), read whole by a sweep. */
export function redisRootStore(redis: RootHash, key: string): BackupRootStore {
  return {
    async read() {
      return new Map(Object.entries(await redis.hgetall(key)));
    },
    async record(entries) {
      if (entries.length > 0) await redis.hset(key, Object.fromEntries(entries));
    },
  };
}

export interface SourceRoots {
  /** Digest root of each partition as its first answering replica holds it (EMPTY_ROOT: no record). */
  roots: Map<number, string>;
  /** Partitions none of whose replicas answered (their pairs are enqueued: the job reports why). */
  unknown: Set<number>;
  /** Nodes that did not answer, with the reason. */
  down: { node: string; error: string }[];
}

/**
 * Every partition's digest root with ONE request per data node (listPartitions carries the roots), for
 * the primary when it answers, else the next replica: the replica a backup job would read.
 */
export async function sourceRoots(
  cluster: { partitions: number; replicasOf(partition: number): readonly DataNodeApi[] },
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<SourceRoots> {
  const nodes = new Map<string, DataNodeApi>();
  for (let p = 0; p < cluster.partitions; p++)
    for (const replica of cluster.replicasOf(p)) nodes.set(replica.id, replica);
  const listings = new Map<string, Map<number, string | undefined>>();
  const down: SourceRoots['down'] = [];
  await Promise.all(
    [...nodes.values()].map(async (node) => {
      try {
        const list = await node.listPartitions({ timeoutMs: options.timeoutMs, signal: options.signal });
        listings.set(node.id, new Map(list.map((s) => [s.partition, s.root])));
      } catch (error) {
        down.push({ node: node.id, error: toRedoubtError(error).message });
      }
    }),
  );
  const roots = new Map<number, string>();
  const unknown = new Set<number>();
  for (let p = 0; p < cluster.partitions; p++) {
    const answering = cluster.replicasOf(p).find((r) => listings.has(r.id));
    const listing = answering && listings.get(answering.id);
    if (!listing) unknown.add(p);
    else if (!listing.has(p)) roots.set(p, EMPTY_ROOT);
    else {
      const root = listing.get(p);
      if (root === undefined) unknown.add(p);
      else roots.set(p, root);
    }
  }
  return { roots, unknown, down };
}

export interface SweepPlan {
  /** The pairs that need a job: changed since their last backup, never backed up, or unknown. */
  pairs: { partition: number; target: string }[];
  /** Pairs skipped because their root equals the one last backed up. */
  unchanged: number;
  /** Partitions without any record and never backed up: no job, no file. */
  empty: number;
  /** Per target, its partitions that hold nothing and have no backup there (for coverage.json). */
  emptyByTarget: Map<string, number[]>;
}

/**
 * Decides what a sweep backs up BEFORE any job or file exists. `full`: every pair whose partition holds
 * data (or did, when last backed up). `auto`: only pairs whose source root differs from the recorded one.
 */
export function planSweep(options: {
  matrix: PlacementMatrix;
  kind: 'full' | 'incremental' | 'auto';
  source: SourceRoots;
  recorded: Map<string, string>;
  partitions?: readonly number[];
  targets?: readonly string[];
}): SweepPlan {
  const plan: SweepPlan = { pairs: [], unchanged: 0, empty: 0, emptyByTarget: new Map() };
  const emptyPartitions = new Set<number>();
  for (const pair of backupPairs(options.matrix, options)) {
    const recorded = options.recorded.get(rootKey(pair.partition, pair.target));
    const root = options.source.unknown.has(pair.partition)
      ? undefined
      : options.source.roots.get(pair.partition);
    if (root === EMPTY_ROOT && (recorded === undefined || recorded === EMPTY_ROOT)) {
      emptyPartitions.add(pair.partition);
      const list = plan.emptyByTarget.get(pair.target) ?? [];
      list.push(pair.partition);
      plan.emptyByTarget.set(pair.target, list);
      continue;
    }
    if (options.kind !== 'full' && root !== undefined && root === recorded) {
      plan.unchanged++;
      continue;
    }
    plan.pairs.push(pair);
  }
  plan.empty = emptyPartitions.size;
  return plan;
}

/** Writes each swept target's coverage.json when its empty set changed (whole sweeps only). */
export async function recordEmptyPartitions(
  targets: readonly BackupTarget[],
  partitions: number,
  plan: SweepPlan,
): Promise<void> {
  for (const target of targets)
    await updateCoverage(target, partitions, plan.emptyByTarget.get(target.id) ?? []);
}
