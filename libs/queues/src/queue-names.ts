/** Queue names are shared by producers (gateway, monitor) and the backup-worker; never rename one in place. */
export const QUEUES = {
  replicate: 'replicate',
  repairPartition: 'repair-partition',
  rebalanceMove: 'rebalance-move',
  scrub: 'scrub',
  backup: 'backup',
  restore: 'restore',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/** Every queue lives under this prefix, so one Redis can hold several clusters (and tests their own). */
export const DEFAULT_QUEUE_PREFIX = 'redoubt';

/**
 * BullMQ priorities: lower runs first. Riskiest data first: a partition below W live replicas can lose
 * acknowledged writes on one more failure, below R reads may miss; moves restore balance; scrub is hygiene.
 */
export const PRIORITY = {
  belowW: 1,
  belowR: 2,
  handoff: 3,
  move: 5,
  antiEntropy: 8,
  scrub: 10,
} as const;
