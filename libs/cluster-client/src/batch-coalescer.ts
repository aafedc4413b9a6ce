import { RedoubtError } from '@redoubt/errors';
import type { BatchOp, BatchResult } from './internal-protocol.js';

export interface CoalescerOptions {
  /** Batch requests in flight at once; calls beyond wait and leave together when a slot frees. */
  maxInFlight: number;
  maxBatchOps: number;
  /** Approximate body bytes per batch (values + keys). A single larger op still goes alone. */
  maxBatchBytes: number;
  /** Ops waiting for a slot; beyond this, calls fail at once with REPLICA_UNAVAILABLE (bounded memory). */
  maxQueued: number;
}

/** Sends one batch; resolves with one result per op, in order, or rejects for the whole batch. */
export type SendBatch = (ops: BatchOp[], timeoutMs: number) => Promise<BatchResult[]>;

interface PendingOp {
  op: BatchOp;
  size: number;
  deadline: number;
  state: 'queued' | 'sent' | 'done';
  resolve(result: BatchResult): void;
  reject(error: RedoubtError): void;
  timer: NodeJS.Timeout;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/**
 * Coalesces concurrent calls to one data node into batch requests. While fewer than `maxInFlight`
 * batches are out, a call leaves at once (with whatever else arrived in the same microtask turn): low
 * latency at low load. When all slots are busy, calls queue and leave together as one batch as soon as a
 * slot frees: at high load, one request and one durable commit carry many client writes.
 *
 * Every op has its own deadline (queueing included): when it passes, that op alone fails with
 * REPLICA_TIMEOUT, whether it was still queued (then it is never sent) or already on the wire (then its
 * outcome is unknown, as the contract says).
 */
export class BatchCoalescer {
  private queue: PendingOp[] = [];
  private queuedLive = 0;
  private inFlight = 0;
  private flushScheduled = false;
  private closedError: RedoubtError | undefined;

  constructor(
    private readonly send: SendBatch,
    private readonly options: CoalescerOptions,
    private readonly node: string,
  ) {}

  submit(op: BatchOp, size: number, timeoutMs: number, signal?: AbortSignal): Promise<BatchResult> {
    if (this.closedError) return Promise.reject(this.closedError);
    if (signal?.aborted) return Promise.reject(this.abortError());
    if (this.queuedLive >= this.options.maxQueued) {
      return Promise.reject(
        new RedoubtError('REPLICA_UNAVAILABLE', `${this.node}: ${this.queuedLive} requests already waiting`, {
          node: this.node,
          queued: this.queuedLive,
        }),
      );
    }
    return new Promise<BatchResult>((resolve, reject) => {
      const pending: PendingOp = {
        op,
        size,
        deadline: Date.now() + timeoutMs,
        state: 'queued',
        resolve,
        reject,
        timer: setTimeout(
          () =>
            this.fail(
              pending,
              new RedoubtError('REPLICA_TIMEOUT', `${this.node} did not answer within ${timeoutMs} ms`, {
                node: this.node,
                timeoutMs,
              }),
            ),
          timeoutMs,
        ),
        signal,
        onAbort: undefined,
      };
      if (signal) {
        pending.onAbort = () => this.fail(pending, this.abortError());
        signal.addEventListener('abort', pending.onAbort, { once: true });
      }
      this.queue.push(pending);
      this.queuedLive++;
      this.scheduleFlush();
    });
  }

  stats(): { inFlight: number; queued: number } {
    return { inFlight: this.inFlight, queued: this.queuedLive };
  }

  /** Fails every queued op with `error` and refuses new ones; batches on the wire finish normally. */
  close(error: RedoubtError): void {
    this.closedError = error;
    for (const pending of this.queue) this.fail(pending, error);
    this.queue = [];
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.inFlight >= this.options.maxInFlight || this.queuedLive === 0) return;
    this.flushScheduled = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    while (this.inFlight < this.options.maxInFlight && this.queuedLive > 0) {
      const batch = this.takeBatch();
      if (batch.length === 0) break;
      this.inFlight++;
      void this.dispatch(batch);
    }
  }

  private takeBatch(): PendingOp[] {
    const batch: PendingOp[] = [];
    let bytes = 0;
    let taken = 0;
    for (; taken < this.queue.length; taken++) {
      const pending = this.queue[taken]!;
      if (pending.state !== 'queued') continue;
      if (
        batch.length > 0 &&
        (batch.length >= this.options.maxBatchOps || bytes + pending.size > this.options.maxBatchBytes)
      ) {
        break;
      }
      pending.state = 'sent';
      this.queuedLive--;
      batch.push(pending);
      bytes += pending.size;
    }
    this.queue.splice(0, taken);
    return batch;
  }

  private async dispatch(batch: PendingOp[]): Promise<void> {
    let deadline = 0;
    for (const pending of batch) deadline = Math.max(deadline, pending.deadline);
    try {
      const results = await this.send(
        batch.map((p) => p.op),
        Math.max(1, deadline - Date.now()),
      );
      if (results.length !== batch.length) {
        throw new RedoubtError(
          'FRAME_INVALID',
          `${this.node} answered ${results.length} results for ${batch.length} ops`,
        );
      }
      for (let i = 0; i < batch.length; i++) this.settle(batch[i]!, results[i]!);
    } catch (error) {
      const failure =
        error instanceof RedoubtError
          ? error
          : new RedoubtError('INTERNAL', String(error), {}, { cause: error });
      for (const pending of batch) this.fail(pending, failure);
    } finally {
      this.inFlight--;
      this.scheduleFlush();
    }
  }

  private settle(pending: PendingOp, result: BatchResult): void {
    if (pending.state === 'done') return;
    this.finish(pending);
    pending.resolve(result);
  }

  private fail(pending: PendingOp, error: RedoubtError): void {
    if (pending.state === 'done') return;
    if (pending.state === 'queued') this.queuedLive--;
    this.finish(pending);
    pending.reject(error);
  }

  private finish(pending: PendingOp): void {
    pending.state = 'done';
    clearTimeout(pending.timer);
    if (pending.onAbort) pending.signal?.removeEventListener('abort', pending.onAbort);
  }

  private abortError(): RedoubtError {
    return new RedoubtError(
      'REPLICA_TIMEOUT',
      `the request to ${this.node} was aborted; its outcome is unknown`,
      {
        node: this.node,
      },
    );
  }
}
