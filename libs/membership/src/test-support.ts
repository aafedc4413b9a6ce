import { Redis } from 'ioredis';
import { startTempRedisServer, waitFor as sharedWaitFor, type RedisServerHandle } from '@redoubt/local-stack';
import { build, type PlacementMatrix } from '@redoubt/placement';

/** The shared polling helper, at this suite's pace (every 50 ms, 20 s by default). */
export const waitFor = <T>(what: string, probe: () => T | Promise<T>, timeoutMs = 20_000) =>
  sharedWaitFor(what, probe, timeoutMs, 50);

/** A real redis-server in its own temporary directory, and connections that tests close afterwards. */
export async function testRedis(): Promise<{
  server: RedisServerHandle;
  connect: () => Redis;
  stop: () => Promise<void>;
}> {
  const server = await startTempRedisServer('redoubt-membership-');
  const connections: Redis[] = [];
  return {
    server,
    connect: () => {
      const redis = new Redis(server.url, {
        maxRetriesPerRequest: 1,
        enableOfflineQueue: false,
        commandTimeout: 1_000,
        retryStrategy: () => 100,
      });
      redis.on('error', () => undefined);
      connections.push(redis);
      return redis;
    },
    stop: async () => {
      for (const c of connections) c.disconnect();
      await server.dispose();
    },
  };
}

/** Resolves once the connection is ready (connections are created eagerly). */
export function ready(redis: Redis): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => redis.once('ready', () => resolve()));
}

export function matrixOf(epoch: number, nodes = ['d1', 'd2', 'd3', 'd4'], partitions = 64): PlacementMatrix {
  return build(
    nodes.map((id) => ({ id, zone: id, weight: 1 })),
    { partitions, replicas: 3, epoch },
  );
}

let counter = 0;
/** A key prefix no other test uses. */
export function uniquePrefix(): string {
  counter += 1;
  return `t${process.pid}-${counter}-${Date.now().toString(36)}`;
}
