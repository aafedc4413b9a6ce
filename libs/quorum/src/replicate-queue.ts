import type { Redis } from 'ioredis';
import type { DownstreamBreaker } from '@redoubt/circuit-breakers';
import { RedoubtError } from '@redoubt/errors';
import { JobProducer, QUEUES, type ReplicateJob } from '@redoubt/queues';

/**
 * The handoff's way onto the replicate queue, safe to call while Redis is away:
 * - nothing is sent unless the fail-fast connection is ready (no command waits for a reconnect);
 * - every enqueue goes through the Redis breaker (bounded by its timeout, failing fast while open);
 * - the BullMQ producer is created only once the connection is ready, and replaced if it keeps failing
 *   while Redis is up (a BullMQ queue whose initialisation ran into a dead connection stays broken).
 */
export class ReplicateQueue {
  private producer: JobProducer | undefined;
  private failuresWhileReady = 0;

  constructor(
    private readonly connection: Redis,
    private readonly breaker: DownstreamBreaker,
    private readonly prefix?: string,
    /** Consecutive failures with the connection up after which the producer is rebuilt. */
    private readonly rebuildAfter = 3,
  ) {
    connection.on('ready', () => this.ensureProducer());
    if (connection.status === 'ready') this.ensureProducer();
  }

  /** Resolves with the job id once the job is in Redis; rejects with QUEUE_UNAVAILABLE or CIRCUIT_OPEN. */
  async replicate(job: ReplicateJob): Promise<string> {
    if (this.connection.status !== 'ready') {
      throw new RedoubtError('QUEUE_UNAVAILABLE', `redis is not connected (${this.connection.status})`);
    }
    const producer = this.ensureProducer();
    try {
      const id = await this.breaker.run(() => producer.replicate(job));
      this.failuresWhileReady = 0;
      return id;
    } catch (error) {
      if ((error as RedoubtError).code === 'QUEUE_UNAVAILABLE' && this.connection.status === 'ready') {
        this.failuresWhileReady += 1;
        if (this.failuresWhileReady >= this.rebuildAfter) this.rebuild(producer);
      }
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.producer?.close();
    this.producer = undefined;
  }

  private ensureProducer(): JobProducer {
    if (!this.producer) {
      this.producer = new JobProducer(this.connection, this.prefix);
      this.producer.queue(QUEUES.replicate); // start BullMQ's initialisation now, while the connection is up
    }
    return this.producer;
  }

  private rebuild(broken: JobProducer): void {
    if (this.producer !== broken) return;
    this.producer = undefined;
    this.failuresWhileReady = 0;
    void broken.close();
  }
}
