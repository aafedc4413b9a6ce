import { env, z } from '@redoubt/config';
import { isValidWriterId } from '@redoubt/records';

/**
 * The gateway's environment (docs/service-contracts.md, plus the gateway's own tuning knobs documented in
 * apps/gateway/README.md). Validated at start; a wrong value stops the process naming the variable.
 */
export const gatewayConfigSchema = z
  .object({
    GATEWAY_ID: z.string().refine(isValidWriterId, 'must match [A-Za-z0-9_-]{1,64}'),
    GATEWAY_HOST: env.host(),
    GATEWAY_PORT: env.port().default(8080),
    API_KEYS: env.secretList(),
    ADMIN_KEY: env.secret(),
    CLUSTER_TOKEN: env.secret(),
    DATA_NODES: env.idUrlList(),
    DATA_NODE_ZONES: env.zoneList(),
    REDIS_URL: z.string().regex(/^rediss?:\/\/\S+$/, 'must be redis://host:port'),
    QUEUE_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/)
      .default('redoubt'),
    PARTITIONS: env
      .positiveInt()
      .max(1 << 24)
      .default(4096),
    REPLICAS: env.positiveInt().default(3),
    WRITE_QUORUM: env.positiveInt().default(2),
    READ_QUORUM: env.positiveInt().default(2),
    MAX_VALUE_BYTES: env.positiveInt().default(1_048_576),
    REPLICA_TIMEOUT_MS: env.positiveInt().default(2_000),
    /** Ask one more replica when a read's first R replies are not all in after this long; 0 disables. */
    READ_HEDGE_MS: env.nonNegativeInt().default(50),
    /** How long a data node's breaker stays open before a trial call. */
    BREAKER_RESET_MS: env.positiveInt().default(3_000),
    /** Failure percentage (rolling 10 s window) that opens a breaker. */
    BREAKER_ERROR_PERCENT: env.positiveInt().max(100).default(50),
    /** Calls in the window before a breaker may open. */
    BREAKER_VOLUME: env.nonNegativeInt().default(5),
    /** Bound on one enqueue to Redis (the Redis breaker's timeout). */
    REDIS_TIMEOUT_MS: env.positiveInt().default(1_000),
    /** Handoff jobs held in memory while Redis is away; the oldest are dropped beyond this. */
    HANDOFF_BUFFER: env.positiveInt().default(10_000),
    /**
     * Batch requests in flight to one data node. Calls beyond wait and leave together as one batch when a
     * slot frees: fewer slots, bigger batches, fewer syscalls per client request on both sides.
     */
    NODE_BATCHES_IN_FLIGHT: env.positiveInt().max(64).default(2),
    /** Requests slower than this are logged (warn). */
    SLOW_REQUEST_MS: env.positiveInt().default(1_000),
    LOG_LEVEL: env.logLevel(),
  })
  .superRefine((c, ctx) => {
    if (c.REPLICAS > c.DATA_NODES.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['REPLICAS'],
        message: `${c.REPLICAS} replicas need at least as many DATA_NODES (have ${c.DATA_NODES.length})`,
      });
    }
    if (c.WRITE_QUORUM > c.REPLICAS) {
      ctx.addIssue({
        code: 'custom',
        path: ['WRITE_QUORUM'],
        message: `must be <= REPLICAS (${c.REPLICAS})`,
      });
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
  });

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
