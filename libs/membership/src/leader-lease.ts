import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import { clusterKeys, type ClusterKeys } from './cluster-keys.js';

/**
 * Proof of leadership for writes that must come from the current leader only (placement epochs): the
 * token is the value of the fencing counter when this monitor acquired the lease, `lease` the exact lease
 * value. A write checks both inside Redis, so a leader that was replaced (paused by GC, cut off, slow)
 * cannot publish after its successor was elected, even if it still believes it leads.
 */
export interface FencingToken {
  token: number;
  lease: string;
}

/** Who holds the lease, as stored in it. */
export interface LeaderInfo {
  id: string;
  token: number;
  /** Where the leader serves its API (for followers that redirect operator requests). */
  url: string;
  /** When it acquired the lease (ms since the Unix epoch). */
  since: number;
}

export interface LeaderLeaseOptions {
  /** A connection that fails fast (short command timeout, no offline queue): a tick must not hang past the TTL. */
  redis: Redis;
  prefix?: string;
  id: string;
  url?: string;
  /** Lease lifetime in Redis; a dead leader is replaced at most this long (plus one retry) after it died. Default 4000. */
  ttlMs?: number;
  /** How often the leader renews and a standby tries to acquire. Default ttlMs / 4. */
  renewEveryMs?: number;
}

export interface LeaderLeaseEvents {
  elected: [FencingToken];
  deposed: [string];
  error: [Error];
}

// SET NX first so that the counter moves only for a real acquisition (a failed attempt must not
// invalidate the current leader's token), then INCR and store the token in the lease.
const ACQUIRE = `
if not redis.call('SET', KEYS[1], '', 'NX', 'PX', ARGV[1]) then return false end
local token = redis.call('INCR', KEYS[2])
local value = '{"id":' .. cjson.encode(ARGV[2]) .. ',"token":' .. token .. ',"url":' .. cjson.encode(ARGV[3]) .. ',"since":' .. ARGV[4] .. '}'
redis.call('SET', KEYS[1], value, 'PX', ARGV[1])
return value
`;
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/**
 * The monitor's leader lease in Redis: `SET NX PX` with a fencing token from an `INCR` counter, renewed
 * every `renewEveryMs`. One monitor leads; the others retry on the same cadence and take over once the
 * lease expires (a killed leader) or is released (a leader that stops cleanly hands over at once).
 *
 * Leadership is judged locally too: after a successful renewal the lease is trusted for 90% of the TTL
 * from the moment the renewal was sent (Redis starts its expiry later than that, so the local view ends
 * first). If Redis cannot be reached the leader steps down when that time is up, even though nobody may
 * have replaced it: acting without a lease could race a successor.
 */
export class LeaderLease extends EventEmitter<LeaderLeaseEvents> {
  readonly keys: ClusterKeys;
  readonly ttlMs: number;
  readonly renewEveryMs: number;
  private held: { value: string; token: number; validUntil: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private running = false;
  private lastSeen: LeaderInfo | undefined;

  constructor(private readonly options: LeaderLeaseOptions) {
    super();
    this.keys = clusterKeys(options.prefix);
    this.ttlMs = options.ttlMs ?? 4_000;
    this.renewEveryMs = options.renewEveryMs ?? Math.max(50, Math.floor(this.ttlMs / 4));
  }

  get id(): string {
    return this.options.id;
  }

  /** Starts acquiring/renewing; resolves after the first attempt. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.tick();
    this.schedule();
  }

  /** Stops renewing and releases the lease if held, so a standby takes over without waiting for the TTL. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.ticking;
    const held = this.held;
    if (held) {
      this.depose('stopped');
      await this.options.redis.eval(RELEASE, 1, this.keys.leaderLease, held.value).catch(() => undefined);
    }
  }

  isLeader(): boolean {
    return this.held !== undefined && Date.now() < this.held.validUntil;
  }

  /** The fencing token while leading, undefined otherwise. */
  fence(): FencingToken | undefined {
    return this.isLeader() && this.held ? { token: this.held.token, lease: this.held.value } : undefined;
  }

  /** The leader as last seen by this process (itself when leading), without asking Redis. */
  lastKnownLeader(): LeaderInfo | undefined {
    return this.lastSeen;
  }

  /** The current leader as Redis has it now. */
  async leader(): Promise<LeaderInfo | undefined> {
    const value = await this.options.redis.get(this.keys.leaderLease);
    return value ? parseLeader(value) : undefined;
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      void this.tick().finally(() => this.schedule());
    }, this.renewEveryMs);
  }

  private tick(): Promise<void> {
    this.ticking ??= this.attempt().finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
  }

  private async attempt(): Promise<void> {
    const sentAt = Date.now();
    const { redis } = this.options;
    try {
      if (this.held) {
        const renewed = Number(
          await redis.eval(RENEW, 1, this.keys.leaderLease, this.held.value, String(this.ttlMs)),
        );
        if (!this.held) return;
        if (renewed === 1) this.trustUntil(sentAt);
        else this.depose('the lease was taken over or expired');
        return;
      }
      if (!this.running) return;
      const value = (await redis.eval(
        ACQUIRE,
        2,
        this.keys.leaderLease,
        this.keys.fence,
        String(this.ttlMs),
        this.options.id,
        this.options.url ?? '',
        String(sentAt),
      )) as string | null;
      if (value) {
        const info = parseLeader(value);
        this.held = { value, token: info?.token ?? 0, validUntil: 0 };
        this.lastSeen = info;
        this.trustUntil(sentAt);
        this.emit('elected', { token: this.held.token, lease: value });
        return;
      }
      const current = await redis.get(this.keys.leaderLease);
      this.lastSeen = current ? parseLeader(current) : undefined;
    } catch (error) {
      // Redis away: a leader keeps its local validity until it runs out (the expiry timer deposes it).
      if (this.listenerCount('error') > 0) this.emit('error', error as Error);
    }
  }

  private trustUntil(sentAt: number): void {
    if (!this.held) return;
    this.held.validUntil = sentAt + Math.floor(this.ttlMs * 0.9);
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = setTimeout(
      () => {
        if (this.held && Date.now() >= this.held.validUntil)
          this.depose('the lease could not be renewed in time');
      },
      this.held.validUntil - Date.now() + 1,
    );
    this.expiryTimer.unref?.();
  }

  private depose(reason: string): void {
    if (!this.held) return;
    this.held = undefined;
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.emit('deposed', reason);
  }
}

export function parseLeader(value: string): LeaderInfo | undefined {
  try {
    const parsed = JSON.parse(value) as Partial<LeaderInfo>;
    if (typeof parsed.id !== 'string' || typeof parsed.token !== 'number') return undefined;
    return { id: parsed.id, token: parsed.token, url: parsed.url ?? '', since: Number(parsed.since ?? 0) };
  } catch {
    return undefined;
  }
}
