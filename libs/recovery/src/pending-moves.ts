import type { Queue } from 'bullmq';
import type { RebalanceMoveJob } from '@redoubt/queues';
import { unfilledKey } from './redundancy.js';

export interface PendingMovesSnapshot {
  /** Jobs waiting, prioritized, delayed or running. */
  pending: number;
  /** Moves that failed for good (dead-letter) into the current epoch. */
  failed: number;
  /** `partition:node` of every replica a pending or failed move should fill. */
  unfilled: Set<string>;
  /** Pending moves per old owner (drains complete when theirs reach 0). */
  fromCounts: Map<string, number>;
  /** Pending moves per target epoch. */
  byEpoch: Map<number, number>;
  partitions: Set<number>;
  readAt: number;
}

const PENDING_STATES = ['wait', 'prioritized', 'delayed', 'active', 'waiting-children'] as const;

/**
 * Reads the rebalance-move queue: what is still to be copied. Bounded (`limit` jobs per state) so a huge
 * backlog cannot stall the monitor; counts come from BullMQ's counters and stay exact.
 */
export async function readPendingMoves(
  queue: Queue,
  currentEpoch: number,
  limit = 50_000,
): Promise<PendingMovesSnapshot> {
  const snapshot: PendingMovesSnapshot = {
    pending: 0,
    failed: 0,
    unfilled: new Set(),
    fromCounts: new Map(),
    byEpoch: new Map(),
    partitions: new Set(),
    readAt: Date.now(),
  };
  const counts = await queue.getJobCounts(...PENDING_STATES);
  snapshot.pending = PENDING_STATES.reduce((sum, state) => sum + (counts[state] ?? 0), 0);
  const jobs = snapshot.pending > 0 ? await queue.getJobs([...PENDING_STATES], 0, limit - 1) : [];
  for (const job of jobs) {
    const data = job?.data as RebalanceMoveJob | undefined;
    if (!data) continue;
    snapshot.unfilled.add(unfilledKey(data.partition, data.to));
    snapshot.partitions.add(data.partition);
    if (data.from) snapshot.fromCounts.set(data.from, (snapshot.fromCounts.get(data.from) ?? 0) + 1);
    snapshot.byEpoch.set(data.toEpoch, (snapshot.byEpoch.get(data.toEpoch) ?? 0) + 1);
  }
  const failed = (await queue.getJobs(['failed'], 0, Math.min(limit, 10_000) - 1)).filter(
    (job) => (job?.data as RebalanceMoveJob | undefined)?.toEpoch === currentEpoch,
  );
  snapshot.failed = failed.length;
  for (const job of failed) {
    const data = job.data as RebalanceMoveJob;
    snapshot.unfilled.add(unfilledKey(data.partition, data.to));
    snapshot.partitions.add(data.partition);
  }
  return snapshot;
}
