import type { Redis } from 'ioredis';

export interface RedisProbeOptions {
  /** How often to PING. Default 2 s. */
  intervalMs?: number;
  /** A PING slower than this counts as failed. Default 1.5 s. */
  timeoutMs?: number;
  onChange?: (up: boolean, error?: Error) => void;
}

/**
 * Tracks the last successful round trip to Redis. Readiness asks "did Redis answer recently?" rather than
 * "is the socket open?": ioredis can report a connection as ready while commands hang, and a blocked
 * worker never notices on its own.
 */
export class RedisProbe {
  private timer: NodeJS.Timeout | undefined;
  private lastOk: number | undefined;
  private up: boolean | undefined;
  private inFlight = false;

  constructor(
    private readonly connection: Redis,
    private readonly options: RedisProbeOptions = {},
  ) {}

  start(): void {
    if (this.timer) return;
    void this.ping();
    this.timer = setInterval(() => void this.ping(), this.options.intervalMs ?? 2_000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One PING with a deadline; true when Redis answered PONG in time. */
  async ping(): Promise<boolean> {
    if (this.inFlight) return this.up ?? false;
    this.inFlight = true;
    try {
      const reply = await withDeadline(this.connection.ping(), this.options.timeoutMs ?? 1_500, 'PING');
      const ok = reply === 'PONG';
      if (ok) this.lastOk = Date.now();
      this.set(ok);
      return ok;
    } catch (error) {
      this.set(false, error as Error);
      return false;
    } finally {
      this.inFlight = false;
    }
  }

  /** Milliseconds since Redis last answered (Infinity if never). */
  sinceLastOk(now = Date.now()): number {
    return this.lastOk === undefined ? Infinity : now - this.lastOk;
  }

  isFresh(maxAgeMs: number): boolean {
    return this.sinceLastOk() <= maxAgeMs;
  }

  private set(up: boolean, error?: Error): void {
    if (this.up !== up) {
      this.up = up;
      this.options.onChange?.(up, error);
    }
  }
}

export interface RedisDurabilityCheck {
  /** True when Redis cannot silently lose jobs: AOF on and no eviction. */
  ok: boolean;
  problems: string[];
  maxmemoryPolicy: string | undefined;
  appendonly: string | undefined;
}

/**
 * BullMQ keeps jobs only in Redis. With an eviction policy other than noeviction Redis may delete job keys
 * under memory pressure, and without AOF a restart loses every job since the last snapshot: both turn
 * "queued" into "maybe". The worker checks at start and warns loudly; anti-entropy still repairs what a
 * lost job would have, but later.
 */
export async function checkRedisDurability(
  connection: Redis,
  timeoutMs = 3_000,
): Promise<RedisDurabilityCheck> {
  const read = async (name: string): Promise<string | undefined> => {
    const reply = (await withDeadline(
      connection.config('GET', name),
      timeoutMs,
      `CONFIG GET ${name}`,
    )) as unknown;
    if (Array.isArray(reply) && reply.length >= 2) return String(reply[1]);
    return undefined;
  };
  const problems: string[] = [];
  let maxmemoryPolicy: string | undefined;
  let appendonly: string | undefined;
  try {
    maxmemoryPolicy = await read('maxmemory-policy');
    appendonly = await read('appendonly');
  } catch (error) {
    problems.push(`could not read the Redis configuration (CONFIG GET): ${(error as Error).message}`);
    return { ok: false, problems, maxmemoryPolicy, appendonly };
  }
  if (maxmemoryPolicy !== 'noeviction') {
    problems.push(
      `maxmemory-policy is ${JSON.stringify(maxmemoryPolicy)}; BullMQ needs "noeviction" or Redis may evict queued jobs`,
    );
  }
  if (appendonly !== 'yes') {
    problems.push(
      `appendonly is ${JSON.stringify(appendonly)}; without AOF a Redis restart loses recently queued jobs`,
    );
  }
  return { ok: problems.length === 0, problems, maxmemoryPolicy, appendonly };
}

export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    timer.unref();
  });
  promise.catch(() => undefined); // an abandoned command must not become an unhandled rejection
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
