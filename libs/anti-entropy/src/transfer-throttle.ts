import { RedoubtError } from '@redoubt/errors';

interface Waiter {
  bytes: number;
  priority: number;
  seq: number;
  resolve: () => void;
  reject: (error: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/**
 * A token bucket over bytes moved, shared by every job of a process so that the configured bandwidth
 * (MB/s) is a cap on the whole worker, not per job. When bytes are scarce, waiters are served by job
 * priority (lower first, as in BullMQ), so a partition below W replicas gets the bandwidth before a
 * rebalance move or a scrub does.
 *
 * A take larger than the bucket is allowed and puts the bucket in debt: the next takes wait until it is
 * paid back. That keeps the long-run rate exact without splitting big records.
 */
export class TransferThrottle {
  private tokens: number;
  private refilledAt = performance.now();
  private readonly waiters: Waiter[] = [];
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;

  private rate: number;
  private burst: number;

  /** `bytesPerSecond` 0 (or less) means unlimited. */
  constructor(bytesPerSecond: number, burstBytes?: number) {
    this.rate = bytesPerSecond;
    this.burst = burstBytes ?? burstFor(bytesPerSecond);
    this.tokens = this.burst;
  }

  get bytesPerSecond(): number {
    return this.rate;
  }

  get burstBytes(): number {
    return this.burst;
  }

  get unlimited(): boolean {
    return !(this.rate > 0);
  }

  /**
   * Changes the rate from now on (the latency pacer turns it down while clients suffer, up while they
   * do not); 0 lifts the cap and releases every waiter. Bytes already taken are not given back.
   */
  setRate(bytesPerSecond: number): void {
    if (!this.unlimited) this.refill();
    else this.refilledAt = performance.now();
    this.rate = bytesPerSecond;
    this.burst = burstFor(bytesPerSecond);
    this.tokens = Math.min(this.tokens, this.burst);
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.unlimited) {
      for (const waiter of this.waiters.splice(0)) {
        if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
        waiter.resolve();
      }
      return;
    }
    this.schedule();
  }

  /** Resolves when `bytes` may be moved. */
  take(bytes: number, options: { priority?: number; signal?: AbortSignal } = {}): Promise<void> {
    if (this.unlimited || bytes <= 0) return Promise.resolve();
    options.signal?.throwIfAborted();
    this.refill();
    if (this.waiters.length === 0 && this.tokens > 0) {
      this.tokens -= bytes;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        bytes,
        priority: options.priority ?? Number.MAX_SAFE_INTEGER,
        seq: this.seq++,
        resolve,
        reject,
        signal: options.signal,
        onAbort: undefined,
      };
      if (options.signal) {
        waiter.onAbort = () => {
          const at = this.waiters.indexOf(waiter);
          if (at >= 0) this.waiters.splice(at, 1);
          reject(
            options.signal?.reason ??
              new RedoubtError('INTERNAL', 'transfer aborted while waiting for bandwidth'),
          );
        };
        options.signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.insert(waiter);
      this.schedule();
    });
  }

  /** Waiters queued right now (for tests and metrics). */
  get queued(): number {
    return this.waiters.length;
  }

  private insert(waiter: Waiter): void {
    let at = this.waiters.length;
    while (
      at > 0 &&
      (this.waiters[at - 1]!.priority > waiter.priority ||
        (this.waiters[at - 1]!.priority === waiter.priority && this.waiters[at - 1]!.seq > waiter.seq))
    ) {
      at--;
    }
    this.waiters.splice(at, 0, waiter);
  }

  private refill(): void {
    const now = performance.now();
    const elapsed = (now - this.refilledAt) / 1000;
    this.refilledAt = now;
    this.tokens = Math.min(this.burst, this.tokens + elapsed * this.rate);
  }

  private schedule(): void {
    if (this.timer || this.waiters.length === 0) return;
    const deficit = Math.max(0, -this.tokens) + 1;
    const waitMs = Math.max(1, Math.ceil((deficit / this.rate) * 1000));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.drain();
    }, waitMs);
    this.timer.unref();
  }

  private drain(): void {
    this.refill();
    while (this.waiters.length > 0 && this.tokens > 0) {
      const waiter = this.waiters.shift()!;
      if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
      this.tokens -= waiter.bytes;
      waiter.resolve();
    }
    this.schedule();
  }
}

function burstFor(bytesPerSecond: number): number {
  return Math.max(Math.floor(bytesPerSecond / 4), 256 * 1024);
}
