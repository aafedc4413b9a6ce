import { z } from 'zod';
import { checkRedisEnv, redisEnvShape, type RedisEnv } from './redis-env.js';
import { idUrlList, logLevel, positiveInt, secret, zoneList } from './env-schemas.js';

/**
 * The variables every cluster service reads the same way (docs/service-contracts.md): secrets, the data
 * nodes and their zones, the queues' Redis (one server, or behind Sentinel), and the cluster's shape. Spread into a service's own schema.
 */
export const clusterEnvShape = {
  ADMIN_KEY: secret(),
  CLUSTER_TOKEN: secret(),
  DATA_NODES: idUrlList(),
  DATA_NODE_ZONES: zoneList(),
  ...redisEnvShape,
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .default('redoubt'),
  PARTITIONS: positiveInt()
    .max(1 << 24)
    .default(4096),
  REPLICAS: positiveInt().default(3),
  WRITE_QUORUM: positiveInt().default(2),
  READ_QUORUM: positiveInt().default(2),
  LOG_LEVEL: logLevel(),
};

interface ClusterShape extends RedisEnv {
  DATA_NODES: { id: string }[];
  DATA_NODE_ZONES: Map<string, string>;
  REPLICAS: number;
  WRITE_QUORUM: number;
  READ_QUORUM: number;
}

/** The checks across those variables: enough nodes for the replicas, quorums within N, zones of known nodes. */
export function checkClusterShape(c: ClusterShape, ctx: z.RefinementCtx): void {
  checkRedisEnv(c, ctx);
  if (c.REPLICAS > c.DATA_NODES.length) {
    ctx.addIssue({
      code: 'custom',
      path: ['REPLICAS'],
      message: `${c.REPLICAS} replicas need at least as many DATA_NODES (have ${c.DATA_NODES.length})`,
    });
  }
  if (c.WRITE_QUORUM > c.REPLICAS) {
    ctx.addIssue({ code: 'custom', path: ['WRITE_QUORUM'], message: `must be <= REPLICAS (${c.REPLICAS})` });
  }
  if (c.READ_QUORUM > c.REPLICAS) {
    ctx.addIssue({ code: 'custom', path: ['READ_QUORUM'], message: `must be <= REPLICAS (${c.REPLICAS})` });
  }
  const ids = new Set(c.DATA_NODES.map((n) => n.id));
  for (const id of c.DATA_NODE_ZONES.keys()) {
    if (!ids.has(id)) {
      ctx.addIssue({ code: 'custom', path: ['DATA_NODE_ZONES'], message: `${id} is not in DATA_NODES` });
    }
  }
}
