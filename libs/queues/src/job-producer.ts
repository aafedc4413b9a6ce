import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { RedoubtError } from '@redoubt/errors';
import { QUEUES, DEFAULT_QUEUE_PREFIX, PRIORITY, type QueueName } from './queue-names.js';
import {
  replicateJobSchema,
  repairPartitionJobSchema,
  rebalanceMoveJobSchema,
  scrubJobSchema,
  type ReplicateJob,
  type RepairPartitionJob,
  type RebalanceMoveJob,
  type ScrubJob,
} from './job-schemas.js';
import { replicateJobId, moveJobId } from './job-ids.js';

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
  ) {}

  queue(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, {
        connection: this.connection,
        prefix: this.prefix,
        defaultJobOptions: DEFAULT_JOB_OPTIONS,
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

  async repairPartition(
    job: RepairPartitionJob,
    options: { jobId?: string; priority?: number } = {},
  ): Promise<string> {
    const data = repairPartitionJobSchema.parse(job);
    return this.add(QUEUES.repairPartition, 'repair-partition', data, {
      priority: PRIORITY.antiEntropy,
      ...options,
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
