import { isRedoubtError } from '@redoubt/errors';
import type { ReplicateJob } from '@redoubt/queues';

/** Where the quorum logic hands replicas that missed a write (hinted handoff) or need a read repair. */
export interface HandoffSink {
  /** Never blocks and never throws: the request path calls it. */
  submit(job: ReplicateJob): void;
}

export type HandoffEvent = 'queued' | 'failed' | 'dropped';

export interface HandoffBufferOptions {
  /** Puts one job on the replication queue (e.g. JobProducer.replicate behind the Redis breaker). */
  enqueue: (job: ReplicateJob) => Promise<unknown>;
  /** Jobs held while the queue is unreachable; beyond this the oldest is dropped (anti-entropy repairs it). */
  capacity?: number;
  /** Enqueue calls in flight at once. */
  concurrency?: number;
  /** Pause after a failed enqueue before trying again. */
  retryDelayMs?: number;
  /**
   * queued: the job reached the queue; failed: one attempt failed (it stays buffered when retryable);
   * dropped: given up (buffer full, or an error retrying cannot fix).
   */
  onEvent?: (event: HandoffEvent, job: ReplicateJob, error?: unknown) => void;
}

/**
 * A bounded in-memory buffer in front of the replication queue. `submit` returns at once, so no request
 * waits on Redis; jobs are enqueued in the background with bounded concurrency. While Redis is away (the
 * enqueue rejects fast: no offline queue, breaker open) jobs wait here and are retried; if the buffer fills,
 * the oldest are dropped and counted. Losing a handoff never loses an acknowledged write: W replicas
 * have it, and anti-entropy finds the replica that missed it.
 */
export class HandoffBuffer implements HandoffSink {
  private readonly pending: ReplicateJob[] = [];
  private inFlight = 0;
  private pausedUntil = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly idleWaiters: (() => void)[] = [];
  private readonly capacity: number;
  private readonly concurrency: number;
  private readonly retryDelayMs: number;

  constructor(private readonly options: HandoffBufferOptions) {
    this.capacity = options.capacity ?? 10_000;
    this.concurrency = options.concurrency ?? 8;
    this.retryDelayMs = options.retryDelayMs ?? 1_000;
  }

  submit(job: ReplicateJob): void {
    if (this.closed) {
      this.options.onEvent?.('dropped', job);
      return;
    }
    if (this.pending.length >= this.capacity) {
      const oldest = this.pending.shift();
      if (oldest) this.options.onEvent?.('dropped', oldest);
    }
    this.pending.push(job);
    this.drain();
  }

  /** Jobs waiting plus jobs being enqueued. */
  size(): number {
    return this.pending.length + this.inFlight;
  }

  /** Resolves when nothing is waiting or in flight (or after `timeoutMs`). */
  async idle(timeoutMs = 5_000): Promise<boolean> {
    if (this.size() === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const idle = new Promise<true>((resolve) => this.idleWaiters.push(() => resolve(true)));
    const result = await Promise.race([idle, timedOut]);
    clearTimeout(timer);
    return result;
  }

  /** Tries to flush what is buffered (bounded), then refuses new jobs. */
  async close(timeoutMs = 2_000): Promise<void> {
    await this.idle(timeoutMs);
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const job of this.pending.splice(0)) this.options.onEvent?.('dropped', job);
  }

  private drain(): void {
    if (this.closed) return;
    const now = Date.now();
    if (now < this.pausedUntil) {
      this.schedule(this.pausedUntil - now);
      return;
    }
    while (this.inFlight < this.concurrency && this.pending.length > 0) {
      const job = this.pending.shift()!;
      this.inFlight += 1;
      this.options.enqueue(job).then(
        () => this.finished(job),
        (error: unknown) => this.finished(job, error),
      );
    }
    this.notifyIfIdle();
  }

  private finished(job: ReplicateJob, error?: unknown): void {
    this.inFlight -= 1;
    if (error === undefined) {
      this.options.onEvent?.('queued', job);
    } else {
      this.options.onEvent?.('failed', job, error);
      if (isRetryable(error) && !this.closed) {
        // back to the front: order matters little, but the oldest job should not starve
        if (this.pending.length >= this.capacity) this.options.onEvent?.('dropped', job, error);
        else this.pending.unshift(job);
        this.pausedUntil = Date.now() + this.retryDelayMs;
      } else {
        this.options.onEvent?.('dropped', job, error);
      }
    }
    this.drain();
  }

  private schedule(delayMs: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.drain();
    }, delayMs);
    this.timer.unref();
  }

  private notifyIfIdle(): void {
    if (this.size() === 0 && this.idleWaiters.length > 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }
}

/** Queue unreachable, breaker open, timeout: retrying later can help. A malformed job cannot be fixed by retrying. */
function isRetryable(error: unknown): boolean {
  return isRedoubtError(error) && (error.kind === 'unavailable' || error.kind === 'timeout');
}
