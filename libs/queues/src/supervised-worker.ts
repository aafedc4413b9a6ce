import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RedisEndpoint } from '@redoubt/redis';
import type { Logger } from '@redoubt/telemetry';
import { createRedisConnection } from './redis-connection.js';
import { withDeadline } from './redis-probe.js';
import { DEFAULT_WATCHDOG_SETTINGS, DEFAULT_WORKER_SETTINGS } from './worker-settings.js';

export type JobProcessor<D = unknown, R = unknown> = (
  job: Job<D, R>,
  signal: AbortSignal | undefined,
) => Promise<R>;

export interface WorkerWatchdogOptions {
  /** How often the watchdog looks. */
  intervalMs?: number;
  /** Jobs waiting, a free slot, Redis answering, and nothing picked up for this long: the worker is stuck. */
  stuckAfterMs?: number;
  /** Recreations tolerated within `recreationWindowMs`; one more and `onGiveUp` is called (exit, be restarted). */
  maxRecreations?: number;
  recreationWindowMs?: number;
  /** Deadline of the watchdog's own Redis reads. */
  probeTimeoutMs?: number;
}

export interface SupervisedWorkerEvents<D, R> {
  completed?(job: Job<D, R>, result: R, durationMs: number): void;
  /** `final`: no attempt left, the job stays in failed (the dead-letter state). */
  failed?(job: Job<D, R> | undefined, error: Error, final: boolean, durationMs: number | undefined): void;
  stalled?(jobId: string): void;
  recreated?(reason: string): void;
}

export interface SupervisedWorkerOptions<D = unknown, R = unknown> {
  queue: string;
  /** The queues' Redis: a `redis://` URL or a target behind Sentinel. */
  redis: RedisEndpoint;
  /**
   * Makes the Redis connections: a fresh one for each worker generation, one for the watchdog's probe.
   * Default: `createRedisConnection(redis, 'worker')`. (Tests route the worker through a fault proxy.)
   */
  connect?: (purpose: 'worker' | 'probe') => Redis;
  prefix: string;
  processor: JobProcessor<D, R>;
  concurrency: number;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  maxStalledCount?: number;
  drainDelaySeconds?: number;
  watchdog?: WorkerWatchdogOptions;
  logger: Logger;
  /** Called when recreating the worker did not help; the process should exit so its supervisor restarts it. */
  onGiveUp: (reason: string) => void;
  events?: SupervisedWorkerEvents<D, R>;
}

export interface WorkerHealth {
  queue: string;
  running: boolean;
  /** The watchdog found the worker stuck at its last look (and is recreating it). */
  stuck: boolean;
  inFlight: number;
  concurrency: number;
  /** Jobs waiting (wait + prioritized) at the watchdog's last look; null when Redis did not answer it. */
  backlog: number | null;
  msSinceLastPickup: number;
  msSinceLastCheck: number | null;
  generation: number;
  recreations: number;
}

/**
 * A BullMQ Worker that is watched, and replaced when it stops consuming.
 *
 * BullMQ relies on ioredis to reconnect, and has had several ways of ending up alive-but-idle after a Redis
 * outage (a blocking BZPOPMIN that never settles, a blocking client parked in "reconnecting": bullmq#2466,
 * #4479, #4585). The maintainers' advice is to build on top: if the worker does not come back, close it and
 * create a new one. This class does exactly that, judged by outcomes rather than connection states:
 *
 *   the queue has jobs ready (wait/prioritized, or delayed jobs overdue by more than the threshold), the
 *   queue is not paused, this worker has a free slot, Redis answers the watchdog's own reads, and still no
 *   job was picked up for `stuckAfterMs`.
 *
 * Then the worker is force-closed (with its own connection) and a fresh one created. Recreating more than
 * `maxRecreations` times within the window calls `onGiveUp` (the app exits 1 and is restarted by its
 * supervisor). An idle worker on an empty queue is never judged: there is nothing it should be doing.
 */
export class SupervisedWorker<D = unknown, R = unknown> {
  private worker: Worker<D, R> | undefined;
  private connection: Redis | undefined;
  private readonly probeConnection: Redis;
  private readonly probe: Queue;
  private readonly settings: Required<WorkerWatchdogOptions>;
  private timer: NodeJS.Timeout | undefined;
  private checking = false;
  private closed = false;
  private inFlight = 0;
  private lastPickupAt = Date.now();
  private readyBacklogSince: number | undefined;
  private lastCheckAt: number | undefined;
  private backlog: number | null = null;
  private stuck = false;
  private recreatedAt: number[] = [];
  private recreating: Promise<void> | undefined;
  private startedAt = new Map<string, number>();
  generation = 0;

  constructor(private readonly options: SupervisedWorkerOptions<D, R>) {
    this.settings = { ...DEFAULT_WATCHDOG_SETTINGS, ...stripUndefined(options.watchdog ?? {}) };
    this.probeConnection =
      options.connect?.('probe') ??
      createRedisConnection(options.redis, 'worker', {
        connectionName: `redoubt-watchdog-${options.queue}`,
      });
    this.probeConnection.on('error', () => undefined);
    this.probe = new Queue(options.queue, { connection: this.probeConnection, prefix: options.prefix });
    this.probe.on('error', () => undefined);
  }

  get queueName(): string {
    return this.options.queue;
  }

  /** The live BullMQ worker (tests use it to simulate a wedge). */
  current(): Worker<D, R> | undefined {
    return this.worker;
  }

  start(): void {
    if (this.worker || this.closed) return;
    this.createWorker();
    this.timer = setInterval(() => void this.check(), this.settings.intervalMs);
    this.timer.unref();
  }

  health(now = Date.now()): WorkerHealth {
    return {
      queue: this.options.queue,
      running: !!this.worker && this.worker.isRunning(),
      stuck: this.stuck,
      inFlight: this.inFlight,
      concurrency: this.options.concurrency,
      backlog: this.backlog,
      msSinceLastPickup: now - this.lastPickupAt,
      msSinceLastCheck: this.lastCheckAt === undefined ? null : now - this.lastCheckAt,
      generation: this.generation,
      recreations: this.recreatedAt.length,
    };
  }

  /** One watchdog pass (also run on a timer). */
  async check(): Promise<void> {
    if (this.checking || this.closed || !this.worker) return;
    this.checking = true;
    try {
      await this.inspect();
    } catch (error) {
      this.options.logger.error({ err: error, queue: this.options.queue }, 'worker watchdog pass failed');
    } finally {
      this.checking = false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.recreating?.catch(() => undefined);
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await withDeadline(worker.close(), 15_000, 'worker close').catch(() => worker.close(true));
    this.connection?.disconnect();
    await this.probe.close().catch(() => undefined);
    this.probeConnection.disconnect();
  }

  private async inspect(): Promise<void> {
    const now = Date.now();
    const worker = this.worker!;
    if (!worker.isRunning() && !worker.closing) {
      await this.recreate('the worker loop is not running');
      return;
    }
    let waiting: number;
    let paused: boolean;
    let overdue: boolean;
    try {
      const [counts, isPaused, nextDelayed] = await withDeadline(
        Promise.all([
          this.probe.getJobCounts('wait', 'prioritized'),
          this.probe.isPaused(),
          this.probeConnection.zrange(this.probe.keys.delayed!, 0, 0, 'WITHSCORES'),
        ]),
        this.settings.probeTimeoutMs,
        'watchdog probe',
      );
      waiting = (counts.wait ?? 0) + (counts.prioritized ?? 0);
      paused = isPaused;
      // Delayed scores are `due ms * 0x1000 + counter`; a due time long past means nobody promotes them.
      const dueAt = nextDelayed.length >= 2 ? Math.floor(Number(nextDelayed[1]) / 0x1000) : undefined;
      overdue = dueAt !== undefined && dueAt < now - this.settings.stuckAfterMs;
    } catch {
      // Redis is not answering us either: nothing to blame on the worker. Readiness reports Redis.
      this.backlog = null;
      this.readyBacklogSince = undefined;
      this.stuck = false;
      return;
    }
    this.lastCheckAt = now;
    this.backlog = waiting;
    const ready = !paused && (waiting > 0 || overdue);
    const free = this.inFlight < this.options.concurrency;
    if (!ready || !free) {
      this.readyBacklogSince = undefined;
      this.stuck = false;
      return;
    }
    this.readyBacklogSince ??= now;
    const idleMs = now - Math.max(this.lastPickupAt, this.readyBacklogSince);
    if (idleMs < this.settings.stuckAfterMs) return;
    this.stuck = true;
    await this.recreate(
      `${waiting} job(s) ready${overdue ? ' (and delayed jobs overdue)' : ''}, ${this.inFlight}/${this.options.concurrency} slots busy, Redis answering, yet nothing picked up for ${Math.round(idleMs / 1000)} s`,
    );
  }

  private recreate(reason: string): Promise<void> {
    this.recreating ??= this.doRecreate(reason).finally(() => (this.recreating = undefined));
    return this.recreating;
  }

  private async doRecreate(reason: string): Promise<void> {
    const now = Date.now();
    this.recreatedAt = this.recreatedAt.filter((at) => now - at < this.settings.recreationWindowMs);
    if (this.recreatedAt.length >= this.settings.maxRecreations) {
      const message = `worker for ${this.options.queue} still stuck after ${this.recreatedAt.length} recreations: ${reason}`;
      this.options.logger.fatal({ queue: this.options.queue }, message);
      this.options.onGiveUp(message);
      return;
    }
    this.recreatedAt.push(now);
    this.generation += 1;
    this.options.logger.error(
      { queue: this.options.queue, generation: this.generation },
      `worker watchdog: recreating the worker: ${reason}`,
    );
    this.options.events?.recreated?.(reason);
    const old = this.worker;
    const oldConnection = this.connection;
    this.worker = undefined;
    if (old) {
      old.cancelAllJobs('worker recreated by the watchdog');
      await withDeadline(old.close(true), 5_000, 'force close').catch((error: Error) =>
        this.options.logger.warn(
          { queue: this.options.queue, err: error },
          'old worker did not close in time; abandoned',
        ),
      );
    }
    oldConnection?.disconnect();
    if (this.closed) return;
    this.readyBacklogSince = undefined;
    this.lastPickupAt = Date.now();
    this.stuck = false;
    this.createWorker();
  }

  private createWorker(): void {
    const o = this.options;
    const connection =
      o.connect?.('worker') ??
      createRedisConnection(o.redis, 'worker', { connectionName: `redoubt-worker-${o.queue}` });
    connection.on('error', () => undefined); // reported through the worker's 'error' event and the probe
    const processor = async (job: Job<D, R>, _token?: string, signal?: AbortSignal): Promise<R> => {
      this.inFlight += 1;
      this.lastPickupAt = Date.now();
      if (job.id) this.startedAt.set(job.id, Date.now());
      try {
        return await o.processor(job, signal);
      } finally {
        this.inFlight -= 1;
      }
    };
    const worker = new Worker<D, R>(o.queue, processor, {
      connection,
      prefix: o.prefix,
      concurrency: o.concurrency,
      lockDuration: o.lockDurationMs ?? DEFAULT_WORKER_SETTINGS.lockDurationMs,
      stalledInterval: o.stalledIntervalMs ?? DEFAULT_WORKER_SETTINGS.stalledIntervalMs,
      maxStalledCount: o.maxStalledCount ?? DEFAULT_WORKER_SETTINGS.maxStalledCount,
      drainDelay: o.drainDelaySeconds ?? DEFAULT_WORKER_SETTINGS.drainDelaySeconds,
      autorun: true,
    });
    let lastErrorLog = 0;
    worker.on('error', (error) => {
      // Connection errors repeat every retry while Redis is down; log one per 10 s.
      const now = Date.now();
      if (now - lastErrorLog > 10_000) {
        lastErrorLog = now;
        o.logger.warn({ queue: o.queue, err: error }, 'worker error');
      }
    });
    worker.on('completed', (job, result) => {
      o.events?.completed?.(job, result, this.durationOf(job));
    });
    worker.on('failed', (job, error) => {
      const attempts = job?.opts.attempts ?? 1;
      // Final: no attempt left, a permanent error, or the job stalled more often than allowed.
      const final =
        !job ||
        error.name === 'UnrecoverableError' ||
        job.attemptsMade >= attempts ||
        /stalled more than allowable limit/i.test(error.message);
      o.events?.failed?.(job, error, final, job ? this.durationOf(job) : undefined);
    });
    worker.on('stalled', (jobId) => o.events?.stalled?.(jobId));
    this.connection = connection;
    this.worker = worker;
  }

  private durationOf(job: Job<D, R>): number {
    const started = job.id ? this.startedAt.get(job.id) : undefined;
    if (job.id) this.startedAt.delete(job.id);
    return started === undefined ? 0 : Date.now() - started;
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
