import type { Redis } from 'ioredis';
import { RedoubtError } from '@redoubt/errors';
import { clusterKeys, type ClusterKeys } from './cluster-keys.js';

/** How a probe last judged a service (see @redoubt/failure-detection). */
export type HealthState = 'unknown' | 'up' | 'suspect' | 'down' | 'dead';

/**
 * A data node's place in the cluster, independent of its health:
 * - `active`: in the placement, serving its partitions
 * - `recovering`: back after an outage shorter than the grace period; its partitions are being repaired
 * - `evicted`: was dead; its partitions were re-placed on the others
 * - `joining`: known and wanted (added, or back after eviction), waiting to be placed
 * - `draining`: an operator asked it to hand its partitions over; moves under way
 * - `drained`: holds nothing any more; can be removed or stopped
 * - `removing`: draining, and forgotten once drained (decommission)
 */
export type MembershipState =
  'active' | 'recovering' | 'evicted' | 'joining' | 'draining' | 'drained' | 'removing';

export interface NodeRecord {
  id: string;
  url: string;
  zone: string;
  weight: number;
  state: MembershipState;
  health: HealthState;
  /** When `state` last changed (ms since the Unix epoch). */
  since: number;
  updatedAt: number;
  /** Why it is in this state (e.g. "dead for 60 s", "drain requested"). */
  note?: string;
}

/** A service the monitor watches (data nodes included), as the leader last saw it. */
export interface ServiceRecord {
  name: string;
  kind: string;
  url: string;
  health: HealthState;
  since: number;
  lastOkAt: number | null;
  lastError?: string;
  updatedAt: number;
}

/**
 * Membership in Redis: node records (hash `<p>:cluster:nodes`) and service health (`<p>:cluster:services`).
 * The leading monitor writes them; every change is announced on `<p>:cluster:membership` with the id.
 */
export class NodeRegistry {
  readonly keys: ClusterKeys;

  constructor(
    private readonly redis: Redis,
    prefix?: string,
  ) {
    this.keys = clusterKeys(prefix);
  }

  async nodes(): Promise<NodeRecord[]> {
    const all = await this.call('read the node list', () => this.redis.hgetall(this.keys.nodes));
    return Object.values(all)
      .map((text) => parse<NodeRecord>(text))
      .filter((n): n is NodeRecord => n !== undefined)
      .sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
  }

  async node(id: string): Promise<NodeRecord | undefined> {
    const text = await this.call('read a node', () => this.redis.hget(this.keys.nodes, id));
    return text ? parse<NodeRecord>(text) : undefined;
  }

  async putNode(record: NodeRecord): Promise<void> {
    await this.call('write a node', () =>
      this.redis
        .multi()
        .hset(this.keys.nodes, record.id, JSON.stringify(record))
        .publish(this.keys.membershipChannel, record.id)
        .exec(),
    );
  }

  async removeNode(id: string): Promise<void> {
    await this.call('remove a node', () =>
      this.redis.multi().hdel(this.keys.nodes, id).publish(this.keys.membershipChannel, id).exec(),
    );
  }

  async services(): Promise<ServiceRecord[]> {
    const all = await this.call('read the services', () => this.redis.hgetall(this.keys.services));
    return Object.values(all)
      .map((text) => parse<ServiceRecord>(text))
      .filter((s): s is ServiceRecord => s !== undefined)
      .sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
  }

  async putServices(records: readonly ServiceRecord[]): Promise<void> {
    if (records.length === 0) return;
    const fields = records.flatMap((r) => [r.name, JSON.stringify(r)]);
    await this.call('write the services', () => this.redis.hset(this.keys.services, ...fields));
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw new RedoubtError(
        'CLUSTER_STATE_UNAVAILABLE',
        `could not ${what}: ${(error as Error).message}`,
        {},
        { cause: error },
      );
    }
  }
}

function parse<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
