import { z } from 'zod';
import { isValidVersion } from '@redoubt/records';

const nodeId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const partition = z.number().int().min(0).max(65535);
const version = z.string().refine(isValidVersion, 'malformed version');

/** Copy one record version to the replicas that missed it (hinted handoff, read repair). */
export const replicateJobSchema = z.object({
  key: z.string().min(1),
  partition,
  version,
  /** Nodes that should end with this version (or newer). */
  targets: z.array(nodeId).min(1),
  /** Nodes known to hold it, in the order to try. */
  sources: z.array(nodeId).min(1),
  reason: z.enum(['handoff', 'read-repair']),
  /** Placement epoch the producer routed with. */
  epoch: z.number().int().min(0),
});
export type ReplicateJob = z.infer<typeof replicateJobSchema>;

/** Make every replica of a partition equal (newest version of every record, tombstones included). */
export const repairPartitionJobSchema = z.object({
  partition,
  /** Replica set to reconcile; the worker's current placement when omitted. */
  replicas: z.array(nodeId).min(2).optional(),
  reason: z.enum(['anti-entropy', 'node-returned', 'scrub', 'operator', 'recovery']),
  epoch: z.number().int().min(0).optional(),
});
export type RepairPartitionJob = z.infer<typeof repairPartitionJobSchema>;

/** Copy a partition to its new owner, verify by digest, only then drop it from the old owner. */
export const rebalanceMoveJobSchema = z.object({
  partition,
  from: nodeId.nullable(),
  to: nodeId,
  /** Replicas that stay (sources to copy from when `from` is gone). */
  keep: z.array(nodeId),
  fromEpoch: z.number().int().min(0),
  toEpoch: z.number().int().min(0),
});
export type RebalanceMoveJob = z.infer<typeof rebalanceMoveJobSchema>;

/** Re-verify every record's checksum on one node; replace corrupt ones from a good replica. */
export const scrubJobSchema = z.object({
  node: nodeId,
  partition: partition.optional(),
});
export type ScrubJob = z.infer<typeof scrubJobSchema>;

/** A scheduled pass over every partition comparing replica digests; enqueues repairs for those that differ. */
export const antiEntropySweepJobSchema = z.object({
  /** Only these partitions (an operator's targeted sweep); all when omitted. */
  partitions: z.array(partition).optional(),
});
export type AntiEntropySweepJob = z.infer<typeof antiEntropySweepJobSchema>;

/** A scheduled fan-out: one scrub job per data node. */
export const scrubSweepJobSchema = z.object({
  nodes: z.array(nodeId).optional(),
});
export type ScrubSweepJob = z.infer<typeof scrubSweepJobSchema>;
