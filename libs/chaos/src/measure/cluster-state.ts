import { Redis } from 'ioredis';
import { EventLog, PlacementStore, clusterKeys, parseLeader, type RecoveryEvent } from '@redoubt/membership';
import { build, type PlacementMatrix } from '@redoubt/placement';
import type { ChaosEnvironment } from '../run/chaos-environment.js';
import { MonitorClient, type MonitorEvent } from './monitor-client.js';

/** Epoch 1 as every service builds it from DATA_NODES (+ zones), PARTITIONS and REPLICAS. */
export function configuredPlacement(environment: ChaosEnvironment): PlacementMatrix {
  const servers = environment.dataNodes.map((n) => ({ id: n.id, zone: n.id, weight: 1 }));
  return build(servers, {
    partitions: environment.partitions,
    replicas: Math.min(environment.replicas, servers.length),
    epoch: 1,
  });
}

export function eventFromRecovery(event: RecoveryEvent): MonitorEvent {
  return {
    subject: [event.target],
    type: `${event.kind}:${event.fault}:${event.status}`,
    detectedAt: event.detectedAt,
    recoveredAt: event.recoveredAt,
    at: event.detectedAt,
  };
}

/**
 * The cluster's shared state as the monitor keeps it in Redis (placement epochs, the leader lease, the
 * recovery event log; @redoubt/membership), with the monitor's status API and the configured placement as
 * fallbacks. Redis may itself be under a fault: every read is short and never throws.
 */
export class ClusterState {
  private readonly redis: Redis | undefined;
  private readonly monitor: MonitorClient;

  constructor(private readonly environment: ChaosEnvironment) {
    this.redis = environment.redisUrl
      ? new Redis(environment.redisUrl, {
          lazyConnect: true,
          enableOfflineQueue: false,
          maxRetriesPerRequest: 0,
          commandTimeout: 1000,
          connectTimeout: 1000,
          retryStrategy: () => 500,
        })
      : undefined;
    this.redis?.on('error', () => undefined);
    this.monitor = new MonitorClient(environment.monitors, environment.adminKey);
  }

  private async connected(): Promise<Redis | undefined> {
    if (!this.redis) return undefined;
    if (this.redis.status === 'wait') await this.redis.connect().catch(() => undefined);
    return this.redis.status === 'ready' ? this.redis : undefined;
  }

  /** The published placement (newest epoch), else the configured one. */
  async placement(): Promise<PlacementMatrix> {
    const redis = await this.connected();
    if (redis) {
      try {
        const published = await new PlacementStore(redis, this.environment.queuePrefix).read();
        if (published) return published.matrix;
      } catch {
        // fall back below
      }
    }
    return configuredPlacement(this.environment);
  }

  /** The leader monitor (id, and its URL when known): from the lease in Redis, else from a monitor's status API. */
  async leader(): Promise<{ id: string; url?: string } | undefined> {
    const redis = await this.connected();
    if (redis) {
      try {
        const value = await redis.get(clusterKeys(this.environment.queuePrefix).leaderLease);
        const info = value ? parseLeader(value) : undefined;
        if (info) return { id: info.id, url: info.url || undefined };
      } catch {
        // fall back below
      }
    }
    return (await this.monitor.status())?.leader ?? undefined;
  }

  /** The monitor's recovery events (Redis event log, else its status API). */
  async events(): Promise<MonitorEvent[]> {
    const redis = await this.connected();
    if (redis) {
      try {
        return (await new EventLog(redis, this.environment.queuePrefix).recent(500)).map(eventFromRecovery);
      } catch {
        // fall back below
      }
    }
    return this.monitor.events();
  }

  async close(): Promise<void> {
    this.redis?.disconnect();
  }
}
