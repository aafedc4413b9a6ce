import type { RedisEndpoint, RedisTarget } from '@redoubt/config';
import { Redis, type RedisOptions } from 'ioredis';

/**
 * What a connection is for:
 * - `request-path`: commands issued while a client waits (the gateway's handoff, the placement reader).
 *   Fails fast: no offline queue, one attempt, short timeouts. Nothing on the request path waits for Redis.
 * - `worker`: BullMQ workers, schedulers, subscriptions and admin reads. Retries forever with capped
 *   backoff (`maxRetriesPerRequest: null`, as BullMQ requires for its blocking commands).
 */
export type RedisRole = 'request-path' | 'worker';

/** One server: the URL as given. */
function asTarget(endpoint: RedisEndpoint): RedisTarget {
  return typeof endpoint === 'string' ? { kind: 'single', url: endpoint } : endpoint;
}

/**
 * After a failover the old master, when it comes back, is demoted to a replica: a connection still open to
 * it gets `READONLY` for every write, and a blocked BZPOPMIN gets `UNBLOCKED ... (master -> replica?)`.
 * Both mean "you are talking to a replica": reconnect (through the sentinels, to the new master) and, for
 * READONLY, send the failed command again (2). ioredis does not do this on its own.
 */
export function reconnectAfterDemotion(error: Error): boolean | 1 | 2 {
  if (error.message.startsWith('READONLY')) return 2;
  if (error.message.startsWith('UNBLOCKED')) return 1;
  return false;
}

/**
 * The options of a connection through Sentinel: ask the sentinels for the master of `name`; keep asking,
 * every ≤ 1 s, while no sentinel answers; READONLY/UNBLOCKED from a demoted master reconnect.
 *
 * `failoverDetector` (subscribe to `+switch-master`) stays off, as in ioredis' default: measured here, it
 * ended a BullMQ producer's connection for good in one of three failover drills. Its `+switch-master`
 * handler calls the connector's `disconnect()`, and when that lands while the client is between sentinel
 * attempts (a reconnect after the old master refused), the connect in flight throws "Connection is
 * closed." and ioredis moves the client to `end`, from which it never reconnects. Nothing is lost without
 * it: a dead master closes the socket at once, and a demoted live one is left by every client because the
 * sentinels send it `CLIENT KILL TYPE normal` when they reconfigure it (and by READONLY below).
 */
export function sentinelOptions(target: Extract<RedisTarget, { kind: 'sentinel' }>): RedisOptions {
  return {
    sentinels: target.sentinels.map((s) => ({ host: s.host, port: s.port })),
    name: target.name,
    role: 'master',
    ...(target.password ? { password: target.password } : {}),
    ...(target.sentinelPassword ? { sentinelPassword: target.sentinelPassword } : {}),
    // Only behind Sentinel: a reconnect there asks the sentinels for the master again. To a single URL it
    // would land on the same read-only server and loop.
    reconnectOnError: reconnectAfterDemotion,
    sentinelRetryStrategy: (attempt) => Math.min(100 * attempt, 1_000),
    sentinelReconnectStrategy: () => 500,
    sentinelCommandTimeout: 1_000,
  };
}

/**
 * The one place redoubt makes a Redis connection (docs/decisions/0013-redis-sentinel.md): every service, the
 * CLI and the workers call this, so a single server and a master behind Sentinel behave the same way
 * everywhere. `extra` overrides anything (a connection name, a test's timeouts).
 */
export function createRedisConnection(
  endpoint: RedisEndpoint,
  role: RedisRole,
  extra: RedisOptions = {},
): Redis {
  const target = asTarget(endpoint);
  const common: RedisOptions = {
    lazyConnect: false,
    connectionName: `redoubt-${role}`,
    retryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 6), 2_000),
  };
  const byRole: RedisOptions =
    role === 'request-path'
      ? { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 1_000, commandTimeout: 500 }
      : { enableOfflineQueue: true, maxRetriesPerRequest: null, connectTimeout: 5_000 };
  if (target.kind === 'single') return new Redis(target.url, { ...common, ...byRole, ...extra });
  return new Redis({ ...common, ...byRole, ...sentinelOptions(target), ...extra });
}
