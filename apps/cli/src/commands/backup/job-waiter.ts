import { Queue, QueueEvents } from 'bullmq';
import { createRedisConnection, type QueueName } from '@redoubt/queues';
import type { RedisEndpoint } from '@redoubt/config';
import { RedoubtError } from '@redoubt/errors';

export interface JobOutcome {
  id: string;
  ok: boolean;
  value: unknown;
  failedReason: string | undefined;
}

/** Refuses to enqueue work nobody will run: some process must be consuming the queue. */
export async function assertConsumed(queue: Queue, hint: string): Promise<void> {
  const workers = await queue.getWorkers().catch((error: unknown) => {
    throw new RedoubtError(
      'QUEUE_UNAVAILABLE',
      `cannot reach Redis for the ${queue.name} queue: ${(error as Error).message}`,
    );
  });
  if (workers.length === 0) {
    throw new RedoubtError(
      'QUEUE_UNAVAILABLE',
      `no backup-worker is consuming the ${queue.name} queue; ${hint}`,
      { queue: queue.name },
    );
  }
}

/** A command's handle on one queue: the queue, a waiter for its jobs, and one close for both. */
export interface JobQueueSession {
  queue: Queue;
  /** The session's Redis connection (for reads beside the queue, such as the backed-up digest roots). */
  connection: ReturnType<typeof createRedisConnection>;
  waiter: JobWaiter;
  close(): Promise<void>;
}

/**
 * Opens `name` for a command that enqueues jobs and waits for them. Redis failing fails the command soon
 * (a few retries, no offline queue) instead of leaving it hanging; `close` releases everything.
 */
export function openJobQueue(redis: RedisEndpoint, name: QueueName, prefix: string): JobQueueSession {
  const connection = createRedisConnection(redis, 'worker', {
    maxRetriesPerRequest: 3,
    enableOfflineQueue: false,
    retryStrategy: (n) => (n > 3 ? null : 200),
  });
  connection.on('error', () => undefined);
  const queue = new Queue(name, { connection, prefix });
  queue.on('error', () => undefined);
  const waiter = new JobWaiter(queue, redis, prefix);
  return {
    queue,
    connection,
    waiter,
    async close() {
      await waiter.close();
      await queue.close().catch(() => undefined);
      connection.disconnect();
    },
  };
}

/**
 * Follows jobs to the end: completion and final failure events (QueueEvents), plus a slow poll of the
 * jobs not heard of yet, so a missed event (a reconnect) never leaves the CLI waiting forever. Calls
 * `onSettled` once per job. Resolves when all settled; rejects with REPLICA_TIMEOUT naming how many are
 * still pending after `timeoutMs` (the jobs keep running in the worker).
 */
export class JobWaiter {
  private readonly pending = new Set<string>();
  private readonly outcomes = new Map<string, JobOutcome>();
  private events: QueueEvents | undefined;
  private connection: ReturnType<typeof createRedisConnection> | undefined;
  private onSettled: ((outcome: JobOutcome) => void) | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly queue: Queue,
    private readonly redis: RedisEndpoint,
    private readonly prefix: string,
  ) {}

  /** Subscribes before any job is added, so no event can be missed between add and subscribe. */
  async start(onSettled: (outcome: JobOutcome) => void): Promise<void> {
    this.onSettled = onSettled;
    this.connection = createRedisConnection(this.redis, 'worker');
    this.connection.on('error', () => undefined);
    this.events = new QueueEvents(this.queue.name, { connection: this.connection, prefix: this.prefix });
    this.events.on('error', () => undefined);
    this.events.on('completed', ({ jobId, returnvalue }) => {
      const value = parse(returnvalue);
      // A completion without its result is left to the poll, which reads the stored job.
      if (value !== null && value !== undefined)
        this.settle({ id: jobId, ok: true, value, failedReason: undefined });
    });
    this.events.on('failed', ({ jobId, failedReason }) =>
      this.settle({ id: jobId, ok: false, value: undefined, failedReason }),
    );
    await this.events.waitUntilReady();
  }

  hasPending(): boolean {
    return this.pending.size > 0;
  }

  expect(ids: readonly string[]): void {
    for (const id of ids) if (!this.outcomes.has(id)) this.pending.add(id);
  }

  private settle(outcome: JobOutcome): void {
    if (!this.pending.delete(outcome.id)) return;
    this.outcomes.set(outcome.id, outcome);
    this.onSettled?.(outcome);
    if (this.pending.size === 0) this.wake?.();
  }

  async wait(timeoutMs: number): Promise<Map<string, JobOutcome>> {
    const deadline = Date.now() + timeoutMs;
    while (this.pending.size > 0) {
      if (Date.now() > deadline) {
        throw new RedoubtError(
          'REPLICA_TIMEOUT',
          `${this.pending.size} job(s) still pending after ${Math.round(timeoutMs / 1000)} s; they keep running in the backup-worker (see its Bull Board)`,
          { pending: this.pending.size },
        );
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 2_000);
      });
      await this.poll();
    }
    return this.outcomes;
  }

  /** Looks up jobs not heard of (at most 200 per round). */
  private async poll(): Promise<void> {
    const ids = [...this.pending].slice(0, 200);
    await Promise.all(
      ids.map(async (id) => {
        // The state first, then the job: a job read before its state is asked may have been read while it
        // was still active (no returnvalue yet) and found completed a moment later.
        const state = await this.queue.getJobState(id).catch(() => 'unknown');
        if (state !== 'completed' && state !== 'failed') return;
        const job = await this.queue.getJob(id).catch(() => undefined);
        if (!job) return;
        if (state === 'completed' && job.returnvalue !== null && job.returnvalue !== undefined)
          this.settle({ id, ok: true, value: job.returnvalue, failedReason: undefined });
        else if (state === 'failed')
          this.settle({
            id,
            ok: false,
            value: undefined,
            failedReason: job.failedReason || 'failed (no reason recorded)',
          });
      }),
    );
  }

  async close(): Promise<void> {
    await this.events?.close().catch(() => undefined);
    // QueueEvents works on a duplicate of a connection it is given; the original is ours to close.
    this.connection?.disconnect();
  }
}

function parse(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
