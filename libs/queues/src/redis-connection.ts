import { Redis, type RedisOptions } from 'ioredis';

/**
 * Two kinds of Redis connections:
 * - `request-path`: for producers called while a client waits (the gateway's handoff). Fails fast:
 *   no offline queue, one attempt, short timeouts. Nothing on the request path waits for Redis.
 * - `worker`: for BullMQ workers and schedulers. Retries forever with capped backoff
 *   (`maxRetriesPerRequest: null`, as BullMQ requires for blocking commands).
 */
export function createRedisConnection(
  url: string,
  role: 'request-path' | 'worker',
  extra: RedisOptions = {},
): Redis {
  const common: RedisOptions = {
    lazyConnect: false,
    connectionName: `redoubt-${role}`,
    retryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 6), 2_000),
  };
  const byRole: RedisOptions =
    role === 'request-path'
      ? { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 1_000, commandTimeout: 500 }
      : { enableOfflineQueue: true, maxRetriesPerRequest: null, connectTimeout: 5_000 };
  return new Redis(url, { ...common, ...byRole, ...extra });
}
