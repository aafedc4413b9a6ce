/**
 * Runs callbacks a fixed delay after they were scheduled, for hedged reads. Every read schedules one; with
 * one delay for all, deadlines come in the order they were scheduled, so a FIFO queue and a single timer
 * replace a timer per read (most of which would be cleared unused). A callback for a read that has already
 * been decided simply does nothing when it runs.
 */
export class HedgeScheduler {
  private readonly queue: { at: number; run: () => void }[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly delayMs: number) {}

  schedule(run: () => void): void {
    this.queue.push({ at: performance.now() + this.delayMs, run });
    if (!this.timer) this.arm(this.delayMs);
  }

  private arm(delayMs: number): void {
    this.timer = setTimeout(() => this.fire(), Math.max(1, Math.ceil(delayMs)));
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    const now = performance.now();
    while (this.head < this.queue.length && this.queue[this.head]!.at <= now + 0.5) {
      const entry = this.queue[this.head]!;
      this.queue[this.head++] = undefined as never; // release the closure now
      entry.run();
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    if (this.head < this.queue.length) this.arm(this.queue[this.head]!.at - now);
    else {
      this.queue.length = 0;
      this.head = 0;
    }
  }
}

const shared = new Map<number, HedgeScheduler>();

/** One scheduler per delay, shared by every read in the process. */
export function hedgeSchedulerFor(delayMs: number): HedgeScheduler {
  let scheduler = shared.get(delayMs);
  if (!scheduler) {
    scheduler = new HedgeScheduler(delayMs);
    shared.set(delayMs, scheduler);
  }
  return scheduler;
}

/**
 * Caps hedged requests at a fraction of reads (a token bucket: each read earns `ratio` of a token, each
 * hedge spends one, at most `burst` saved). Hedging is meant for the occasional slow replica; when every
 * read is slow (the cluster is saturated) unbounded hedging would add up to 50% more reads exactly when
 * there is no capacity for them. Replacing a replica that failed is never limited.
 */
export class HedgeBudget {
  private tokens: number;

  constructor(
    readonly ratio = 0.1,
    readonly burst = 10,
  ) {
    this.tokens = burst;
  }

  earn(): void {
    this.tokens = Math.min(this.burst, this.tokens + this.ratio);
  }

  spend(): boolean {
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
