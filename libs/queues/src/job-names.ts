/**
 * Job names within the queues. A queue can carry more than one kind of job: the repair queue holds the
 * scheduled anti-entropy sweep (which enqueues repairs) beside the repairs, the scrub queue holds the
 * scheduled fan-out beside the per-node scrubs. Workers dispatch on these names.
 */
export const JOB_NAMES = {
  replicate: 'replicate',
  repairPartition: 'repair-partition',
  antiEntropySweep: 'anti-entropy-sweep',
  rebalanceMove: 'rebalance-move',
  scrub: 'scrub',
  scrubSweep: 'scrub-sweep',
} as const;

export type JobName = (typeof JOB_NAMES)[keyof typeof JOB_NAMES];

/** Ids of the BullMQ job schedulers the backup-worker keeps (upserted at start and periodically). */
export const SCHEDULER_IDS = {
  antiEntropy: 'anti-entropy-sweep',
  scrub: 'scrub-sweep',
} as const;
