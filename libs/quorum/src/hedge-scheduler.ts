/**
 * Runs callbacks a fixed delay after they were scheduled, for hedged reads. Every read schedules one; with
 * one delay for all, deadlines come in the order they were scheduled, so a FIFO queue and a single timer
 * replace a timer per read (most of which would be cleared unused).
 *
 * A read that is decided cancels its callback, so the queue holds nothing of it for the rest of the
 * delay: at the default 50 ms, long enough for a finished read's state to outlive two young-generation
 * collections and be promoted to the old generation as garbage.
 */
export class HedgeScheduler {
  /** Parallel arrays (no object per entry): deadlines and callbacks, live from `head` on. */
  private readonly deadlines: number[] = [];
  private readonly runs: ((() => void) | undefined)[] = [];
  private head = 0;
  /** The ticket of index 0. */
  private base = 0;
  private live = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly delayMs: number) {}

  /** Returns a ticket for `cancel`. */
  schedule(run: () => void): number {
    const ticket = this.base + this.runs.length;
    this.deadlines.push(performance.now() + this.delayMs);
    this.runs.push(run);
    this.live++;
    if (!this.timer) this.arm(this.delayMs);
    return ticket;
  }

  /** Drops a callback that is no longer needed; it will not run. Unknown or spent tickets are ignored. */
  cancel(ticket: number): void {
    const i = ticket - this.base;
    if (i < this.head || i >= this.runs.length || this.runs[i] === undefined) return;
    this.runs[i] = undefined;
    this.live--;
  }

  /** Callbacks scheduled and neither run nor cancelled yet. */
  pending(): number {
    return this.live;
  }

  private arm(delayMs: number): void {
    this.timer = setTimeout(() => this.fire(), Math.max(1, Math.ceil(delayMs)));
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    const now = performance.now();
    while (this.head < this.runs.length && this.deadlines[this.head]! <= now + 0.5) {
      const run = this.runs[this.head];
      this.runs[this.head++] = undefined;
      if (run) {
        this.live--;
        run();
      }
    }
    if (this.head < this.runs.length) {
      if (this.head > 1024 && this.head * 2 > this.runs.length) this.drop(this.head);
      this.arm(this.deadlines[this.head]! - now);
    } else {
      this.drop(this.runs.length);
    }
  }

  /** Forgets the first `count` entries (all run or cancelled). */
  private drop(count: number): void {
    this.deadlines.splice(0, count);
    this.runs.splice(0, count);
    this.base += count;
    this.head -= count;
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
