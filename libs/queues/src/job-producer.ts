import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { RedoubtError } from '@redoubt/errors';
import { QUEUES, DEFAULT_QUEUE_PREFIX, PRIORITY, type QueueName } from './queue-names.js';
import {
  replicateJobSchema,
  repairPartitionJobSchema,
  rebalanceMoveJobSchema,
  scrubJobSchema,
  antiEntropySweepJobSchema,
  scrubSweepJobSchema,
  type AntiEntropySweepJob,
  type ScrubSweepJob,
  type ReplicateJob,
  type RepairPartitionJob,
  type RebalanceMoveJob,
  type ScrubJob,
} from './job-schemas.js';
import { replicateJobId, moveJobId, repairDeduplicationId } from './job-ids.js';
import { JOB_NAMES } from './job-names.js';

/** Retries with exponential backoff; BullMQ adds jitter through `jitter` on the backoff options. */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 500, jitter: 0.5 },
  removeOnComplete: { age: 3600, count: 10_000 },
  removeOnFail: false, // failed jobs stay visible (dead-letter) until an operator looks
};

/**
 * Enqueues jobs. Used on request paths with a fail-fast connection: an add either reaches Redis quickly
 * or rejects with QUEUE_UNAVAILABLE; callers decide what that means (for a handoff: anti-entropy will
 * repair the replica later, the client's write is still acknowledged if W nodes have it).
 */
export class JobProducer {
  private readonly queues = new Map<QueueName, Queue>();

  constructor(
    private readonly connection: Redis,
    private readonly prefix = DEFAULT_QUEUE_PREFIX,
    /** Overrides of DEFAULT_JOB_OPTIONS (the worker's configured attempts and backoff). */
    private readonly jobOptions: JobsOptions = {},
  ) {}

  queue(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, {
        connection: this.connection,
        prefix: this.prefix,
        defaultJobOptions: { ...DEFAULT_JOB_OPTIONS, ...this.jobOptions },
      });
      queue.on('error', () => undefined); // connection errors surface through add() rejections
      this.queues.set(name, queue);
    }
    return queue;
  }

  async replicate(job: ReplicateJob, priority: number = PRIORITY.handoff): Promise<string> {
    const data = replicateJobSchema.parse(job);
    return this.add(QUEUES.replicate, 'replicate', data, {
      jobId: replicateJobId(data.key, data.version),
      priority,
    });
  }

  /**
   * `deduplicate`: while a repair of the same partition is waiting or running, another one is not added
   * (BullMQ deduplication by partition): sweeps and producers may ask for the same repair many times.
   */
  async repairPartition(
    job: RepairPartitionJob,
    options: { jobId?: string; priority?: number; deduplicate?: boolean } = {},
  ): Promise<string> {
    const data = repairPartitionJobSchema.parse(job);
    const { deduplicate, ...rest } = options;
    return this.add(QUEUES.repairPartition, 'repair-partition', data, {
      priority: PRIORITY.antiEntropy,
      ...(deduplicate ? { deduplication: { id: repairDeduplicationId(data.partition) } } : {}),
      ...rest,
    });
  }

  async rebalanceMove(job: RebalanceMoveJob, priority: number = PRIORITY.move): Promise<string> {
    const data = rebalanceMoveJobSchema.parse(job);
    return this.add(QUEUES.rebalanceMove, 'rebalance-move', data, {
      jobId: moveJobId(data.partition, data.to, data.toEpoch),
      priority,
    });
  }

  async scrub(job: ScrubJob, options: { jobId?: string } = {}): Promise<string> {
    const data = scrubJobSchema.parse(job);
    return this.add(QUEUES.scrub, 'scrub', data, { priority: PRIORITY.scrub, ...options });
  }

  /** A sweep now (the scheduler adds them on its cadence); `partitions` narrows it. */
  async antiEntropySweep(job: AntiEntropySweepJob = {}, options: { jobId?: string } = {}): Promise<string> {
    const data = antiEntropySweepJobSchema.parse(job);
    return this.add(QUEUES.repairPartition, JOB_NAMES.antiEntropySweep, data, {
      priority: PRIORITY.antiEntropy,
      attempts: 3,
      ...options,
    });
  }

  /** A scrub of every node (or the listed ones) now: fans out to one scrub job per node. */
  async scrubSweep(job: ScrubSweepJob = {}, options: { jobId?: string } = {}): Promise<string> {
    const data = scrubSweepJobSchema.parse(job);
    return this.add(QUEUES.scrub, JOB_NAMES.scrubSweep, data, {
      priority: PRIORITY.scrub,
      attempts: 3,
      ...options,
    });
  }

  private async add(name: QueueName, jobName: string, data: object, options: JobsOptions): Promise<string> {
    try {
      const job = await this.queue(name).add(jobName, data, options);
      return job.id ?? options.jobId ?? '';
    } catch (error) {
      throw new RedoubtError(
        'QUEUE_UNAVAILABLE',
        `could not enqueue ${jobName}: ${(error as Error).message}`,
        { queue: name },
        { cause: error },
      );
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
  }
}
