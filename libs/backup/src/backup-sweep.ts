import type { DataNodeApi } from '@redoubt/cluster-client';
import { toRedoubtError } from '@redoubt/errors';
import type { PlacementMatrix } from '@redoubt/placement';
import { backupPairs } from './backup-jobs.js';
import { updateCoverage } from './backup-coverage.js';
import type { BackupTarget } from './backup-targets.js';

/** The root recorded for a partition that held no record (no digest needed to know it). */
export const EMPTY_ROOT = 'empty';

/**
 * The digest root each (partition, target) was last backed up (or confirmed unchanged) at, and when. A
 * cache: with nothing recorded, a sweep enqueues the pair and the job itself finds out (from the target)
 * whether anything changed. Keys are `<partition>/<target>`.
 */
export interface BackupRootStore {
  read(): Promise<Map<string, string>>;
  /** Roots and the time (ms) the backups were confirmed to cover them. */
  record(entries: readonly (readonly [string, string])[], coveredAt: number): Promise<void>;
  /** The last restore drill (shown by `redoubt status`). */
  recordDrill(drill: LastDrill): Promise<void>;
}

export interface LastDrill {
  at: number;
  ok: boolean;
  rtoMs: number;
  rpoMs: number | null;
  partitions: number;
}

export const rootKey = (partition: number, target: string) => `${partition}/${target}`;

/** The Redis commands the root store needs (an ioredis client has them). */
export interface RootHash {
  hgetall(key: string): Promise<Record<string, string>>;
  hset(key: string, values: Record<string, string>): Promise<unknown>;
}

/**
 * The store in the queues' Redis, beside the backup queue (`base` = `queue.toKey('')`): hashes
 * `<base>roots` and `<base>covered` (field per pair) and `<base>drill`. A sweep reads the roots whole.
 */
export function redisRootStore(redis: RootHash, base: string): BackupRootStore {
  return {
    async read() {
      return new Map(Object.entries(await redis.hgetall(`${base}roots`)));
    },
    async record(entries, coveredAt) {
      if (entries.length === 0) return;
      await redis.hset(`${base}roots`, Object.fromEntries(entries));
      await redis.hset(`${base}covered`, Object.fromEntries(entries.map(([k]) => [k, String(coveredAt)])));
    },
    async recordDrill(drill) {
      await redis.hset(`${base}drill`, { last: JSON.stringify(drill) });
    },
  };
}

export interface BackupHealth {
  /** Partitions whose last backed-up root holds data. */
  partitionsWithData: number;
  /** Age (ms) of the oldest newest-backup across those partitions: the RPO now; null without any. */
  rpoMs: number | null;
  stalestPartition: number | null;
  lastDrill: LastDrill | null;
}

/** What `redoubt status` shows about backups, from the store's hashes. */
export async function readBackupHealth(
  redis: RootHash,
  base: string,
  now = Date.now(),
): Promise<BackupHealth> {
  const [roots, covered, drill] = await Promise.all([
    redis.hgetall(`${base}roots`),
    redis.hgetall(`${base}covered`),
    redis.hgetall(`${base}drill`),
  ]);
  const newest = new Map<number, number>();
  for (const [key, root] of Object.entries(roots)) {
    if (root === EMPTY_ROOT) continue;
    const partition = Number(key.slice(0, key.indexOf('/')));
    const at = Number(covered[key] ?? 0);
    newest.set(partition, Math.max(newest.get(partition) ?? 0, at));
  }
  let stalest: [number, number] | null = null;
  for (const [partition, at] of newest) if (!stalest || at < stalest[1]) stalest = [partition, at];
  let lastDrill: LastDrill | null = null;
  try {
    lastDrill = drill.last ? (JSON.parse(drill.last) as LastDrill) : null;
  } catch {
    lastDrill = null;
  }
  return {
    partitionsWithData: newest.size,
    rpoMs: stalest ? Math.max(0, now - stalest[1]) : null,
    stalestPartition: stalest ? stalest[0] : null,
    lastDrill,
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
  /** Those pairs with their root (recorded again with the sweep's time: they are current). */
  confirmed: [string, string][];
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
  const plan: SweepPlan = { pairs: [], unchanged: 0, confirmed: [], empty: 0, emptyByTarget: new Map() };
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
      plan.confirmed.push([rootKey(pair.partition, pair.target), root]);
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
