import type { PartitionDigest } from '@redoubt/cluster-client';

/** Replicas whose digest of a bucket is the same hold the same records there: one of them speaks for all. */
export interface ReplicaGroup {
  /** Node ids with identical content in the batch's buckets; the first is streamed for the group. */
  members: string[];
}

/**
 * Buckets to reconcile together, all with the same split of replicas into groups, so that a record seen
 * in a group's stream is known to be held, at that version, by every member of the group.
 */
export interface BucketBatch {
  /** Bucket indices; undefined means the whole partition (replicas disagree on the bucket layout). */
  buckets: number[] | undefined;
  groups: ReplicaGroup[];
  /** Estimated bytes one group's stream carries for these buckets. */
  estimatedBytes: number;
}

export interface BucketPlan {
  /** Buckets whose digest is not the same on every replica. */
  differing: number[];
  batches: BucketBatch[];
}

export interface ReplicaDigest {
  node: string;
  digest: PartitionDigest;
}

/**
 * Compares the digests of a partition on its reachable replicas and plans what to stream: only buckets
 * that differ, grouped by how the replicas split over them (for one replica wiped or behind, that is one
 * split, "the others | it", for every bucket), cut into batches of about `maxBatchBytes` so a worker
 * never holds more than a few batches in memory however big the partition is.
 */
export function planBucketBatches(replicas: readonly ReplicaDigest[], maxBatchBytes: number): BucketPlan {
  if (replicas.length < 2) return { differing: [], batches: [] };
  const roots = new Set(replicas.map((r) => r.digest.root));
  if (roots.size === 1) return { differing: [], batches: [] };

  const bucketCount = replicas[0]!.digest.buckets.length;
  const largest = Math.max(...replicas.map((r) => r.digest.bytes));
  if (bucketCount === 0 || replicas.some((r) => r.digest.buckets.length !== bucketCount)) {
    // Different bucket layouts cannot be compared bucket by bucket: every replica is its own group.
    return {
      differing: [],
      batches: [
        { buckets: undefined, groups: replicas.map((r) => ({ members: [r.node] })), estimatedBytes: largest },
      ],
    };
  }

  const perBucket = largest / bucketCount;
  const differing: number[] = [];
  const bySignature = new Map<string, { groups: ReplicaGroup[]; buckets: number[] }>();
  for (let bucket = 0; bucket < bucketCount; bucket++) {
    const byHash = new Map<string, string[]>();
    for (const replica of replicas) {
      const hash = replica.digest.buckets[bucket]!;
      const members = byHash.get(hash);
      if (members) members.push(replica.node);
      else byHash.set(hash, [replica.node]);
    }
    if (byHash.size === 1) continue;
    differing.push(bucket);
    const groups = [...byHash.values()];
    const signature = groups.map((g) => g.join(',')).join('|');
    const entry = bySignature.get(signature);
    if (entry) entry.buckets.push(bucket);
    else bySignature.set(signature, { groups: groups.map((members) => ({ members })), buckets: [bucket] });
  }

  const batches: BucketBatch[] = [];
  const perBatch = Math.max(1, Math.floor(maxBatchBytes / Math.max(perBucket, 1)));
  for (const { groups, buckets } of bySignature.values()) {
    for (let at = 0; at < buckets.length; at += perBatch) {
      const slice = buckets.slice(at, at + perBatch);
      batches.push({ buckets: slice, groups, estimatedBytes: Math.round(perBucket * slice.length) });
    }
  }
  return { differing, batches };
}
