import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Express } from 'express';
import type { Redis } from 'ioredis';
import { BreakerRegistry } from '@redoubt/circuit-breakers';
import type { BatchGuard, DataNodeApi, DataNodeAddress } from '@redoubt/cluster-client';
import { redisTargetOf } from '@redoubt/config';
import { createRedisConnection } from '@redoubt/queues';
import {
  checkPolicy,
  HandoffBuffer,
  QuorumCoordinator,
  replicaBehindBatchBreaker,
  ReplicateQueue,
} from '@redoubt/quorum';
import { HybridClock } from '@redoubt/records';
import { createMetricsRegistry, type Logger } from '@redoubt/telemetry';
import type { GatewayConfig } from './gateway-config.js';
import { createGatewayApp, createPublicPath, type GatewayParts } from './gateway-app.js';
import { GatewayMetrics } from './gateway-metrics.js';
import { PlacementHolder } from './placement-provider.js';
import { placementFromNodes } from '@redoubt/placement';
import { followPlacement } from '@redoubt/membership';
import { ReplicaRouter } from './replica-router.js';
import { DataNodeSet } from './data-node-set.js';
import { ConditionalWrites } from './conditional-writes.js';
import { PaxosHttpTransport } from './paxos-transport.js';

export interface AssembledGateway {
  /** Everything but the public path (health, readiness, metrics, OpenAPI, admin). */
  app: Express;
  /** `/v1/kv`: served in front of `app` (http-kit's servePlainRoutesFirst). */
  publicPath: (req: IncomingMessage, res: ServerResponse) => void;
  parts: GatewayParts;
  close(): Promise<void>;
}

/**
 * Wires a gateway from its configuration: a breaker per data node and one for Redis, the placement
 * (epoch 1 from DATA_NODES until the monitor publishes epochs, with the addresses of nodes added since),
 * the router, the quorum coordinator with
 * hinted handoff through a bounded buffer onto the replicate queue, and the express app.
 */
export function assembleGateway(
  config: GatewayConfig,
  logger: Logger,
  /** `batchGuard` is the node's breaker: the client must send every batch through it. */
  createNode: (address: DataNodeAddress, clusterToken: string, batchGuard: BatchGuard) => DataNodeApi,
): AssembledGateway {
  const registry = createMetricsRegistry('gateway', { instance: config.GATEWAY_ID });
  const policy = checkPolicy({ n: config.REPLICAS, w: config.WRITE_QUORUM, r: config.READ_QUORUM });
  const breakers = new BreakerRegistry(registry, {
    timeoutMs: config.REPLICA_TIMEOUT_MS,
    resetTimeoutMs: config.BREAKER_RESET_MS,
    errorThresholdPercentage: config.BREAKER_ERROR_PERCENT,
    volumeThreshold: config.BREAKER_VOLUME,
    // DataNodeClient enforces the deadline itself, per op (queueing included) and per batch (the batch
    // channel drops the connection of a batch past it)
    abortOnTimeout: false,
  });

  const nodes = new DataNodeSet((address) => {
    // One breaker decision per batch of puts or gets (the node client runs each batch through it); a
    // node's breaker outlives a new client for it (the registry keys it by node id).
    const breaker = breakers.for(address.id);
    const api = createNode(address, config.CLUSTER_TOKEN, breaker);
    return { api, replica: replicaBehindBatchBreaker(api, breaker) };
  }, config.DATA_NODES);

  const redisTarget = redisTargetOf(config);
  const redis = createRedisConnection(redisTarget, 'request-path');
  watchRedis(redis, logger);
  const redisBreaker = breakers.for('redis', {
    timeoutMs: config.REDIS_TIMEOUT_MS,
    timeoutCode: 'QUEUE_UNAVAILABLE',
    abortOnTimeout: true,
    // Redis is one downstream: a short window so it is tried again soon after it returns
    resetTimeoutMs: Math.min(config.BREAKER_RESET_MS, 2_000),
  });
  const queue = new ReplicateQueue(redis, redisBreaker, config.QUEUE_PREFIX);

  // the backlog gauge reads the buffer lazily, at scrape time
  const metrics: GatewayMetrics = new GatewayMetrics(registry, () => handoff.size());
  const handoff: HandoffBuffer = new HandoffBuffer({
    enqueue: (job) => queue.replicate(job),
    capacity: config.HANDOFF_BUFFER,
    onEvent: (event, job, error) => {
      metrics.handoffs.inc({ outcome: event });
      if (event === 'dropped') {
        logger.warn(
          { key: job.key, version: job.version, targets: job.targets, err: error },
          'handoff dropped; anti-entropy will repair the replica',
        );
      }
    },
  });

  const placement = new PlacementHolder(
    placementFromNodes({
      nodes: config.DATA_NODES,
      zones: config.DATA_NODE_ZONES,
      partitions: config.PARTITIONS,
      replicas: config.REPLICAS,
    }),
  );
  metrics.placementEpoch.set(placement.current()?.epoch ?? 0);
  placement.onChange((matrix) => metrics.placementEpoch.set(matrix.epoch));
  // Switch to each newer epoch the monitor publishes; keep the last one while Redis is away. Nodes are
  // those of DATA_NODES plus those published with the epochs; an epoch naming a node without an address
  // is refused (the follower logs it) and the gateway keeps the epoch it has.
  const follower = followPlacement(
    [
      {
        get epoch() {
          return placement.current()?.epoch ?? 0;
        },
        update: (matrix, addresses = []) => {
          const replaced = nodes.adopt(matrix, addresses);
          placement.update(matrix);
          // replica sets built with a replaced client were dropped with the old epoch
          for (const old of replaced) void old.close();
        },
      },
    ],
    {
      redis: redisTarget,
      prefix: config.QUEUE_PREFIX,
      fallback: () => placement.current(),
      configuredNodes: config.DATA_NODES,
      logger,
    },
  );

  const router = new ReplicaRouter(placement, (id) => nodes.replica(id));

  const coordinator = new QuorumCoordinator({
    handoff,
    hedgeAfterMs: config.READ_HEDGE_MS,
    observer: {
      writeSettled: (settlement) => {
        if (settlement.unknown.length > 0) metrics.unknownWrites.inc(settlement.unknown.length);
      },
      repaired: (_replica, result) => metrics.readRepairs.inc({ result }),
    },
  });

  // One clock for versions and ballots: a ballot is above every version this gateway has seen, and a new
  // record's version above the current one the round read.
  const clock = new HybridClock(config.GATEWAY_ID);
  const paxos = new PaxosHttpTransport({
    urlOf: (id) => nodes.urlOf(id),
    clusterToken: config.CLUSTER_TOKEN,
    timeoutMs: config.REPLICA_TIMEOUT_MS,
    available: (id) => breakers.for(id).isAvailable(),
  });

  const parts: GatewayParts = {
    gatewayId: config.GATEWAY_ID,
    apiKeys: config.API_KEYS,
    adminKey: config.ADMIN_KEY,
    maxValueBytes: config.MAX_VALUE_BYTES,
    slowRequestMs: config.SLOW_REQUEST_MS,
    policy,
    logger,
    registry,
    metrics,
    placement,
    router,
    coordinator,
    conditional: new ConditionalWrites(router, clock, paxos),
    clock,
    breakers,
    handoff,
    dataNodes: () => nodes.addresses(),
  };

  return {
    app: createGatewayApp(parts),
    publicPath: createPublicPath(parts),
    parts,
    async close() {
      await follower.close();
      await handoff.close(2_000);
      await queue.close();
      redis.disconnect();
      breakers.shutdown();
      await nodes.close();
      await paxos.close();
    },
  };
}

/** Logs Redis going away and coming back once each, not every reconnect attempt. */
function watchRedis(redis: Redis, logger: Logger): void {
  let up = false;
  redis.on('ready', () => {
    up = true;
    logger.info('redis connected');
  });
  redis.on('error', (error) => {
    if (up) logger.warn({ err: error }, 'redis unreachable; handoffs are buffered');
    up = false;
  });
}
