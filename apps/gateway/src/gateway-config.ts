import { checkClusterShape, clusterEnvShape, env, z } from '@redoubt/config';
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
    ...clusterEnvShape,
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
     * Batches in flight to one data node, per lane (puts and gets have one each). Calls beyond wait and
     * leave together as one batch when the slot frees: fewer slots, bigger batches, fewer syscalls and
     * commits per client request on both sides (1 measured best: see the README's benchmark).
     */
    NODE_BATCHES_IN_FLIGHT: env.positiveInt().max(64).default(1),
    /** Requests slower than this are logged (warn). */
    SLOW_REQUEST_MS: env.positiveInt().default(1_000),
  })
  .superRefine(checkClusterShape);

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
