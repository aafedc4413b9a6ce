import type { TransferThrottle } from './transfer-throttle.js';

export interface LatencyPacerOptions {
  /** The throttle whose rate the pacer sets (the worker's, shared by every transfer). */
  throttle: TransferThrottle;
  /** One probe: what a client request costs right now, in ms (e.g. a read from every data node). */
  probe: () => Promise<number>;
  /** Keep probes under baseline x this ratio (2: a client request at most twice as slow). */
  targetRatio: number;
  /** The rate never goes above this (the configured cap, or a ceiling when there is none), bytes/s. */
  maxBytesPerSecond: number;
  /** Nor below this, so that a repair always progresses, bytes/s. */
  minBytesPerSecond: number;
  /** Probe period. Default 200 ms. */
  intervalMs?: number;
  /** Told of every change of rate (metrics, logs). */
  onRate?: (bytesPerSecond: number, latencyMs: number, baselineMs: number) => void;
}

/** Probes averaged for the current latency: short, so the pacer reacts within a second. */
const RECENT = 3;
/**
 * How fast the baseline may rise per probe when nothing as quick is seen (0.02%: doubling takes about
 * 3,500 probes, 12 minutes at 200 ms). The baseline is the quickest recent probe; letting it rise
 * slowly follows a real change in the client load, while latency the pacer itself causes (and holds
 * just under the target) cannot drag the baseline, and so the target, up with it.
 */
const BASELINE_DRIFT = 1.0002;

/**
 * Paces background transfers (repairs, moves, scrubs, handoff) against client latency, in the spirit
 * of the backups' BACKUP_MAX_SHARE but closed-loop: it probes what a client request costs now, compares
 * that with the quiet baseline (the quickest recent probe), and sets the shared
 * throttle's rate by AIMD: halve it when the probes pass baseline x targetRatio, raise it by 5% (at
 * least the floor) when they stay under 70% of that, hold it in between. Small raises keep the
 * overshoot small; the halving gets clients back under the target within a probe or two. A fixed MB/s cap cannot do this: what a data node can spare
 * depends on its disk, its CPU and the client load at that moment (bench:repair: an unpaced rebuild
 * raised client p99 22.7x).
 */
export class LatencyPacer {
  private readonly recent: number[] = [];
  private baseline = Infinity;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private rate: number;
  /** Probes to wait after a cut before judging again: until the recent ones all saw the new rate. */
  private cooldown = 0;

  private readonly floor: number;

  constructor(private readonly options: LatencyPacerOptions) {
    // A cap below the floor wins: the pacer never allows more than the configured cap.
    this.floor = Math.min(options.minBytesPerSecond, options.maxBytesPerSecond);
    this.rate = Math.max(this.floor, options.maxBytesPerSecond / 8);
  }

  get bytesPerSecond(): number {
    return this.rate;
  }

  /** The quiet latency the pacer compares with (see BASELINE_DRIFT). */
  get baselineMs(): number {
    return this.baseline;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.options.throttle.setRate(this.rate);
    const tick = async () => {
      if (!this.running) return;
      await this.step().catch(() => undefined);
      if (this.running) this.timer = setTimeout(() => void tick(), this.options.intervalMs ?? 200).unref();
    };
    void tick();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
  }

  /** One probe and one decision (public for tests). */
  async step(): Promise<void> {
    const latency = await this.options.probe();
    if (!Number.isFinite(latency)) return;
    this.baseline = Math.min(latency, this.baseline * BASELINE_DRIFT);
    this.recent.push(latency);
    if (this.recent.length > RECENT) this.recent.shift();
    if (this.recent.length < RECENT) return;
    const recent = this.recent.reduce((a, b) => a + b, 0) / RECENT;
    const limit = this.baselineMs * this.options.targetRatio;
    let next = this.rate;
    if (this.cooldown > 0) this.cooldown--;
    else if (recent > limit) {
      next = this.rate / 2;
      this.cooldown = RECENT;
    } else if (recent < limit * 0.7)
      next = this.rate + Math.max(this.options.minBytesPerSecond, this.rate / 20);
    next = Math.min(this.options.maxBytesPerSecond, Math.max(this.floor, next));
    if (next !== this.rate) {
      this.rate = next;
      this.options.throttle.setRate(next);
      this.options.onRate?.(next, recent, this.baselineMs);
    }
  }
}
