export type LoadOp = 'put' | 'get';

export interface TimelineBucket {
  /** Bucket start, ms since the epoch. */
  start: number;
  requests: number;
  /** Requests that did not succeed (a GET of a missing key written by an unacknowledged PUT is no error). */
  errors: number;
  puts: number;
  gets: number;
  /** Arrivals dropped because too many requests were in flight. */
  dropped: number;
  p50: number | null;
  p99: number | null;
}

export interface WindowStats {
  requests: number;
  errors: number;
  errorRate: number;
  dropped: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  throughputPerSecond: number;
}

interface RawBucket {
  start: number;
  requests: number;
  errors: number;
  puts: number;
  gets: number;
  dropped: number;
  latencies: number[];
}

export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index]!;
}

/**
 * Requests per fixed time bucket (by completion time): counts, errors and latencies. Feeds the report's
 * timeline chart, the per-fault error rate and latency, and the steady-state guard.
 */
export class LoadTimeline {
  private readonly buckets = new Map<number, RawBucket>();

  constructor(
    readonly bucketMs = 1000,
    /** Told of every request as it is recorded (the chaos metrics). */
    private readonly observer?: (op: LoadOp, latencyMs: number, ok: boolean) => void,
  ) {}

  private bucket(at: number): RawBucket {
    const start = Math.floor(at / this.bucketMs) * this.bucketMs;
    let b = this.buckets.get(start);
    if (!b) {
      b = { start, requests: 0, errors: 0, puts: 0, gets: 0, dropped: 0, latencies: [] };
      this.buckets.set(start, b);
    }
    return b;
  }

  record(op: LoadOp, completedAt: number, latencyMs: number, ok: boolean): void {
    const b = this.bucket(completedAt);
    b.requests += 1;
    if (!ok) b.errors += 1;
    if (op === 'put') b.puts += 1;
    else b.gets += 1;
    b.latencies.push(latencyMs);
    this.observer?.(op, latencyMs, ok);
  }

  recordDropped(at: number): void {
    this.bucket(at).dropped += 1;
  }

  /** Every bucket from the first to the last seen, gaps filled with zeros. */
  series(): TimelineBucket[] {
    if (this.buckets.size === 0) return [];
    const starts = [...this.buckets.keys()];
    const first = Math.min(...starts);
    const last = Math.max(...starts);
    const out: TimelineBucket[] = [];
    for (let start = first; start <= last; start += this.bucketMs) out.push(this.summarise(start));
    return out;
  }

  /** Buckets that ended before `now`. */
  completedBuckets(now: number): TimelineBucket[] {
    return this.series().filter((b) => b.start + this.bucketMs <= now);
  }

  /** Totals and latency quantiles over [from, to). */
  window(from: number, to: number): WindowStats {
    return this.stats((start) => start + this.bucketMs > from && start < to, (to - from) / 1000);
  }

  /** Totals and latency quantiles over the buckets `include` accepts (by bucket start). */
  stats(include: (bucketStart: number) => boolean, seconds?: number): WindowStats {
    let requests = 0;
    let errors = 0;
    let dropped = 0;
    let kept = 0;
    const latencies: number[] = [];
    for (const b of this.buckets.values()) {
      if (!include(b.start)) continue;
      kept += 1;
      requests += b.requests;
      errors += b.errors;
      dropped += b.dropped;
      for (const l of b.latencies) latencies.push(l);
    }
    latencies.sort((a, b) => a - b);
    const span = Math.max(0.001, seconds ?? (kept * this.bucketMs) / 1000);
    return {
      requests,
      errors,
      errorRate: requests === 0 ? 0 : errors / requests,
      dropped,
      p50Ms: quantile(latencies, 0.5),
      p99Ms: quantile(latencies, 0.99),
      maxMs: latencies.length > 0 ? latencies[latencies.length - 1]! : null,
      throughputPerSecond: (requests - errors) / span,
    };
  }

  private summarise(start: number): TimelineBucket {
    const b = this.buckets.get(start);
    if (!b) return { start, requests: 0, errors: 0, puts: 0, gets: 0, dropped: 0, p50: null, p99: null };
    const sorted = [...b.latencies].sort((x, y) => x - y);
    return {
      start,
      requests: b.requests,
      errors: b.errors,
      puts: b.puts,
      gets: b.gets,
      dropped: b.dropped,
      p50: quantile(sorted, 0.5),
      p99: quantile(sorted, 0.99),
    };
  }
}
