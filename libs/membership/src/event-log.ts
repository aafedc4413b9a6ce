import type { Redis } from 'ioredis';
import { RedoubtError } from '@redoubt/errors';
import { clusterKeys, type ClusterKeys } from './cluster-keys.js';

/** One thing the monitor did about an incident. */
export interface RecoveryAction {
  at: number;
  /** start | restart | unpause | reconnect | replace | rebalance-back | repair | drain | add | remove | wait ... */
  action: string;
  result: 'ok' | 'failed' | 'skipped';
  detail?: string;
  /** The monitor that acted. */
  by: string;
}

/** A placement change made for the incident. */
export interface EpochChange {
  from: number;
  to: number;
  moves: number;
  partitionsAffected: number;
  partitionsBelowR: number;
  partitionsBelowW: number;
}

/**
 * One incident, from detection to recovery: what the chaos app reads time-to-detect and time-to-recover
 * from. Times are ms since the Unix epoch. `lastOkAt` is the last successful probe before the fault, so
 * the fault happened between it and the first failed probe: `timeToDetectMs = detectedAt - lastOkAt` is an
 * upper bound of the detection time and `timeToRecoverMs = recoveredAt - lastOkAt` of the outage.
 */
export interface RecoveryEvent {
  id: string;
  /** Service name (data nodes: their id). */
  target: string;
  /** data | gateway | worker | redis | monitor | service | operator */
  kind: string;
  /** down | dead | drain | add | remove | returned ... */
  fault: string;
  /** What the probes or the orchestrator saw first. */
  cause: string;
  lastOkAt: number | null;
  detectedAt: number;
  recoveredAt: number | null;
  timeToDetectMs: number | null;
  timeToRecoverMs: number | null;
  /** open: being handled; recovered: healthy again; replaced: its data was re-placed; closed: finished otherwise. */
  status: 'open' | 'recovered' | 'replaced' | 'closed';
  actions: RecoveryAction[];
  epochs: EpochChange[];
  /** The monitor that detected it. */
  monitor: string;
}

// Stores the event and keeps the newest `max` (by detection time), dropping older ones from both keys.
const RECORD = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
local excess = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
if excess > 0 then
  local old = redis.call('ZRANGE', KEYS[2], 0, excess - 1)
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, excess - 1)
  redis.call('HDEL', KEYS[1], unpack(old))
end
return 1
`;

/** The bounded recovery event log in Redis, shared by all monitors (it survives a leader change). */
export class EventLog {
  readonly keys: ClusterKeys;

  constructor(
    private readonly redis: Redis,
    prefix?: string,
    readonly maxEvents = 500,
  ) {
    this.keys = clusterKeys(prefix);
  }

  /** Inserts or replaces an event (by id). */
  async save(event: RecoveryEvent): Promise<void> {
    try {
      await this.redis.eval(
        RECORD,
        2,
        this.keys.events,
        this.keys.eventsIndex,
        event.id,
        JSON.stringify(event),
        String(event.detectedAt),
        String(this.maxEvents),
      );
    } catch (error) {
      throw new RedoubtError(
        'CLUSTER_STATE_UNAVAILABLE',
        `could not save event ${event.id}: ${(error as Error).message}`,
        {},
        { cause: error },
      );
    }
  }

  /** The newest `limit` events, newest first. */
  async recent(limit = 50): Promise<RecoveryEvent[]> {
    try {
      const ids = await this.redis.zrevrange(this.keys.eventsIndex, 0, Math.max(0, limit - 1));
      if (ids.length === 0) return [];
      const values = await this.redis.hmget(this.keys.events, ...ids);
      return values.flatMap((text) => {
        if (!text) return [];
        try {
          return [JSON.parse(text) as RecoveryEvent];
        } catch {
          return [];
        }
      });
    } catch (error) {
      throw new RedoubtError(
        'CLUSTER_STATE_UNAVAILABLE',
        `could not read events: ${(error as Error).message}`,
        {},
        { cause: error },
      );
    }
  }
}
