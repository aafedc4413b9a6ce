import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import type { PlacementMatrix } from '@redoubt/placement';
import { createRedisConnection, type RedisEndpoint } from '@redoubt/redis';
import type { Logger } from '@redoubt/telemetry';
import { clusterKeys } from './cluster-keys.js';
import { PlacementStore, type NodeAddress, type PublishedPlacement } from './placement-store.js';

export interface PlacementSubscriberOptions {
  /** The cluster's Redis: `redis://host:port` (REDIS_URL), or a master behind Sentinel (REDIS_SENTINELS). */
  redis: RedisEndpoint;
  /** Key prefix, the same as the queues' (QUEUE_PREFIX). Default `redoubt`. */
  prefix?: string;
  /**
   * The placement to use while Redis has no epoch or cannot be reached: typically epoch 1 built from
   * DATA_NODES, PARTITIONS and REPLICAS with @redoubt/placement `build()` (what every service computed
   * before the monitor published anything).
   */
  fallback?: () => PlacementMatrix | undefined;
  /** Re-read from Redis this often as a safety net (a message published during a reconnect is lost). Default 5000. */
  rereadIntervalMs?: number;
  /** How long `start` waits for the first read before settling for the fallback. Default 2000. */
  initialLoadTimeoutMs?: number;
  logger?: Logger;
}

/** Where the current placement came from. */
export type PlacementSource = 'redis' | 'fallback' | 'none';

export interface PlacementChange {
  /** The placement before (undefined for the first one). */
  previous: PlacementMatrix | undefined;
  /** Node addresses published with the epoch (empty for the fallback). */
  nodes: readonly NodeAddress[];
  source: PlacementSource;
  reason: string;
}

export interface PlacementSubscriberEvents {
  /** A newer epoch was adopted. */
  epoch: [PlacementMatrix, PlacementChange];
  /** Redis became reachable (true) or unreachable (false). */
  redis: [boolean];
}

/**
 * Follows the placement epochs the monitor publishes (see PlacementStore), for gateways and workers:
 *
 * ```ts
 * const sub = await PlacementSubscriber.start({
 *   redis: redisTargetOf(config),
 *   prefix: config.QUEUE_PREFIX,
 *   fallback: () => placementFromConfig(...), // epoch 1 from DATA_NODES
 * });
 * sub.current();                              // the newest matrix known (never undefined with a fallback)
 * sub.on('epoch', (matrix, change) => clusterMap.update(matrix));
 * await sub.close();
 * ```
 *
 * - `start` never fails because Redis is away: it settles for the fallback and keeps trying.
 * - A new epoch arrives by pub/sub at once; a re-read every `rereadIntervalMs` and after every reconnect
 *   catches anything missed.
 * - Only newer epochs are adopted (an older publication arriving late is ignored), and the last one seen
 *   is kept while Redis is down: consumers keep routing with it.
 * - A stored epoch that fails its checksum is ignored (logged), never adopted.
 */
export class PlacementSubscriber extends EventEmitter<PlacementSubscriberEvents> {
  private matrix: PlacementMatrix | undefined;
  private addresses: readonly NodeAddress[] = [];
  private from: PlacementSource = 'none';
  private up = false;
  private closed = false;
  private refreshing: Promise<boolean> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly store: PlacementStore;

  private constructor(
    private readonly options: PlacementSubscriberOptions,
    private readonly reader: Redis,
    private readonly subscriber: Redis,
  ) {
    super();
    this.store = new PlacementStore(reader, options.prefix);
  }

  static async start(options: PlacementSubscriberOptions): Promise<PlacementSubscriber> {
    const common = {
      connectTimeout: 1_000,
      retryStrategy: (attempt: number) => Math.min(100 * 2 ** Math.min(attempt, 5), 2_000),
    };
    // Reads fail fast while Redis is away (the last placement stays in use); the subscription connection
    // queues its SUBSCRIBE until it connects and re-subscribes after every reconnect (also to a new
    // master after a Sentinel failover: the epochs were replicated to it).
    const reader = createRedisConnection(options.redis, 'request-path', {
      ...common,
      connectionName: 'redoubt-placement-reader',
      commandTimeout: 1_000,
    });
    const subscriber = createRedisConnection(options.redis, 'worker', {
      ...common,
      connectionName: 'redoubt-placement-subscriber',
    });
    const sub = new PlacementSubscriber(options, reader, subscriber);
    reader.on('error', () => undefined);
    subscriber.on('error', () => undefined);
    const channel = clusterKeys(options.prefix).placementChannel;
    subscriber.on('message', (from) => {
      if (from === channel) void sub.refresh();
    });
    subscriber.on('ready', () => void sub.refresh());
    subscriber.subscribe(channel).catch(() => undefined);

    const fallback = options.fallback?.();
    if (fallback) sub.adopt(fallback, [], 'fallback', 'fallback');
    const waitMs = options.initialLoadTimeoutMs ?? 2_000;
    const deadline = Date.now() + waitMs;
    // The reader connects in the background; retry the first read until it works or the wait is over.
    while (!sub.up && Date.now() < deadline) {
      await sub.refresh();
      if (!sub.up) await new Promise((r) => setTimeout(r, Math.min(100, Math.max(0, deadline - Date.now()))));
    }
    sub.schedule();
    return sub;
  }

  /** The newest placement known: from Redis, else the fallback; undefined only without either. */
  current(): PlacementMatrix | undefined {
    return this.matrix;
  }

  /** Its epoch, 0 when there is none. */
  epoch(): number {
    return this.matrix?.epoch ?? 0;
  }

  /** Node addresses published with the current epoch (nodes added at run time are only here). */
  nodes(): readonly NodeAddress[] {
    return this.addresses;
  }

  source(): PlacementSource {
    return this.from;
  }

  /** Whether the last read from Redis worked. */
  redisUp(): boolean {
    return this.up;
  }

  /** Reads Redis now; resolves true when a newer epoch was adopted. Never rejects. */
  refresh(): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      let adopted = false;
      do {
        this.again = false;
        adopted = (await this.readOnce()) || adopted;
      } while (this.again && !this.closed);
      return adopted;
    })().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.refreshing;
    this.reader.disconnect();
    this.subscriber.disconnect();
  }

  private async readOnce(): Promise<boolean> {
    let published: PublishedPlacement | undefined;
    try {
      published = await this.store.read();
      this.setUp(true);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'CLUSTER_STATE_UNAVAILABLE') this.setUp(false);
      else
        this.options.logger?.error(
          { err: error },
          'the stored placement is unreadable; keeping the current one',
        );
      return false;
    }
    if (!published) return false;
    const { matrix } = published;
    const have = this.matrix?.epoch ?? -1;
    if (matrix.epoch > have) {
      this.adopt(matrix, published.nodes, 'redis', published.reason);
      return true;
    }
    if (matrix.epoch === have && this.from !== 'redis') {
      // The same epoch as the fallback: take the authoritative copy (and its addresses) without an event.
      this.matrix = matrix;
      this.addresses = published.nodes;
      this.from = 'redis';
    }
    return false;
  }

  private adopt(
    matrix: PlacementMatrix,
    nodes: readonly NodeAddress[],
    source: PlacementSource,
    reason: string,
  ): void {
    const previous = this.matrix;
    this.matrix = matrix;
    this.addresses = nodes;
    this.from = source;
    this.options.logger?.info(
      { epoch: matrix.epoch, previous: previous?.epoch ?? null, source, reason },
      'placement epoch adopted',
    );
    try {
      this.emit('epoch', matrix, { previous, nodes, source, reason });
    } catch (error) {
      // A consumer's failure must not stop the subscription; the epoch is adopted either way.
      this.options.logger?.error({ err: error, epoch: matrix.epoch }, 'a placement listener failed');
    }
  }

  private setUp(up: boolean): void {
    if (this.up === up) return;
    this.up = up;
    if (!up) this.options.logger?.warn('Redis is unreachable; keeping placement epoch %d', this.epoch());
    this.emit('redis', up);
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      void this.refresh().finally(() => this.schedule());
    }, this.options.rereadIntervalMs ?? 5_000);
    this.timer.unref?.();
  }
}
