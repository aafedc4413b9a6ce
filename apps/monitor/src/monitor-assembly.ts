import type { Express } from 'express';
import type { Queue } from 'bullmq';
import { DataNodeClient, type DataNodeApi } from '@redoubt/cluster-client';
import { HealthProber } from '@redoubt/failure-detection';
import {
  EventLog,
  LeaderLease,
  NodeRegistry,
  PlacementStore,
  PlacementSubscriber,
} from '@redoubt/membership';
import {
  createDriver,
  KubernetesDriver,
  orchestratorName,
  type OrchestratorDriver,
} from '@redoubt/orchestrator';
import { build } from '@redoubt/placement';
import { redisTargetOf } from '@redoubt/config';
import { createRedisConnection, JobProducer, QUEUES } from '@redoubt/queues';
import { RecoveryController, type WatchedService } from '@redoubt/recovery';
import { createMetricsRegistry, type Logger } from '@redoubt/telemetry';
import { resolvePlacementZone } from './kubernetes-zones.js';
import { createMonitorApi } from './monitor-api.js';
import { kindOf, type MonitorConfig } from './monitor-config.js';
import { registerMonitorMetrics } from './monitor-metrics.js';

export interface Monitor {
  app: Express;
  controller: RecoveryController;
  /** Starts probing, the lease and the loop (after the HTTP server listens, so the lease carries a reachable URL). */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Wires the monitor from its configuration: connections, stores, lease, prober, orchestrator, controller, API. */
export async function assembleMonitor(
  config: MonitorConfig,
  logger: Logger,
  monitorUrl: string,
): Promise<Monitor> {
  const registry = createMetricsRegistry('monitor', { instance: config.MONITOR_ID });
  const driverKind = config.ORCHESTRATOR;
  const names = config.ORCHESTRATOR_NAMES;
  const watched = (
    name: string,
    kind: string,
    url: string,
    extra: Partial<WatchedService> = {},
  ): WatchedService => ({
    name,
    kind,
    url,
    orchestratorName: orchestratorName({ name, url }, driverKind, names),
    ...extra,
  });
  const services: WatchedService[] = [
    ...config.DATA_NODES.map((n) =>
      watched(n.id, 'data', n.url, { zone: config.DATA_NODE_ZONES.get(n.id) ?? n.id, weight: 1 }),
    ),
    ...[...config.SERVICES].map(([name, url]) => watched(name, kindOf(name, url), url.replace(/\/+$/, ''))),
    // Behind Sentinel no single server is "the" Redis: the sentinels pick the master, the engine or the
    // supervisor restarts the processes. Only a single Redis is probed (and restarted) as `redis`.
    ...(config.PROBE_REDIS && config.REDIS_URL ? [watched('redis', 'redis', config.REDIS_URL)] : []),
  ];

  // Redis connections: commands that fail fast (the lease must never wait past its TTL; state writes are
  // retried by the loop), and one for BullMQ producers and queue reads.
  const redisTarget = redisTargetOf(config);
  const fast = createRedisConnection(redisTarget, 'request-path', {
    connectionName: `redoubt-monitor-${config.MONITOR_ID}`,
    commandTimeout: Math.max(500, Math.floor(config.LEASE_TTL_MS / 4)),
    connectTimeout: 1_000,
    retryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 5), 2_000),
  });
  fast.on('error', () => undefined);
  const queueConnection = createRedisConnection(redisTarget, 'request-path', {
    connectionName: `redoubt-monitor-${config.MONITOR_ID}-queues`,
    commandTimeout: 2_000,
  });
  queueConnection.on('error', () => undefined);
  const producer = new JobProducer(queueConnection, config.QUEUE_PREFIX);
  // Every queue, the backup and restore ones included: `redoubt status` shows them all.
  const queues = Object.values(QUEUES).map((name) => producer.queue(name));
  const moveQueue: Queue = producer.queue(QUEUES.rebalanceMove);

  const initial = build(
    config.DATA_NODES.map((n) => ({ id: n.id, zone: config.DATA_NODE_ZONES.get(n.id) ?? n.id, weight: 1 })),
    { partitions: config.PARTITIONS, replicas: config.REPLICAS, epoch: 1 },
  );
  const subscriber = await PlacementSubscriber.start({
    redis: redisTarget,
    prefix: config.QUEUE_PREFIX,
    fallback: () => initial,
    rereadIntervalMs: 2_000,
    logger,
  });
  const lease = new LeaderLease({
    redis: fast,
    prefix: config.QUEUE_PREFIX,
    id: config.MONITOR_ID,
    url: monitorUrl,
    ttlMs: config.LEASE_TTL_MS,
  });
  lease.on('error', (error) => logger.debug({ err: error }, 'lease renewal failed'));
  const prober = new HealthProber({
    intervalMs: config.PROBE_INTERVAL_MS,
    timeoutMs: config.PROBE_TIMEOUT_MS,
    policy: { deadAfterMs: config.DEAD_AFTER_MS, failuresToDown: config.FAILURES_TO_DOWN },
  });
  const driver: OrchestratorDriver = createDriver({
    kind: driverKind,
    supervisorUrl: config.SUPERVISOR_URL,
    adminKey: config.ADMIN_KEY,
    dockerSocket: config.DOCKER_SOCKET,
    composeProject: config.COMPOSE_PROJECT,
    swarmStack: config.SWARM_STACK,
    namespace: config.KUBERNETES_NAMESPACE,
    podSelector: config.KUBERNETES_POD_SELECTOR,
  });
  const clients = new Map<string, DataNodeApi>();
  const dataNode = (address: { id: string; url: string }): DataNodeApi => {
    const key = `${address.id}@${address.url}`;
    let client = clients.get(key);
    if (!client) {
      client = new DataNodeClient({
        id: address.id,
        url: address.url,
        clusterToken: config.CLUSTER_TOKEN,
        timeoutMs: 2_000,
      });
      clients.set(key, client);
    }
    return client;
  };

  // The metrics read the controller at scrape time; it needs their observer when it is built.
  const built: { controller?: RecoveryController } = {};
  const observer = registerMonitorMetrics(registry, { prober, controller: () => built.controller });
  const controller = new RecoveryController(
    {
      monitorId: config.MONITOR_ID,
      monitorUrl,
      partitions: config.PARTITIONS,
      replicas: config.REPLICAS,
      writeQuorum: config.WRITE_QUORUM,
      bandwidthBytesPerSecond: config.BANDWIDTH_MBPS * 1e6,
      repairOnReturn: config.REPAIR_ON_RETURN,
      decision: {
        unresponsiveRestartMs: config.RESTART_UNRESPONSIVE_AFTER_MS,
        stuckStartingMs: config.RESTART_STUCK_AFTER_MS,
        startupGraceMs: config.RESTART_STARTUP_GRACE_MS,
        massOutageShare: config.RESTART_HOLD_SILENT_SHARE,
      },
    },
    services,
    {
      prober,
      driver,
      lease,
      store: new PlacementStore(fast, config.QUEUE_PREFIX),
      subscriber,
      registry: new NodeRegistry(fast, config.QUEUE_PREFIX),
      events: new EventLog(fast, config.QUEUE_PREFIX),
      producer,
      moveQueue,
      queues,
      dataNode,
      logger,
      observer,
      orchestratorNameOf: (service) => orchestratorName(service, driverKind, names),
    },
  );
  built.controller = controller;
  const app = createMonitorApi({
    controller,
    subscriber,
    adminKey: config.ADMIN_KEY,
    clusterToken: config.CLUSTER_TOKEN,
    logger,
    registry,
    zoneOf:
      driver instanceof KubernetesDriver
        ? async (node) =>
            resolvePlacementZone(node, (await controller.status(0)).nodes, (pod) => driver.zoneOf(pod)).catch(
              (error: unknown) => {
                logger.warn(
                  { node, err: (error as Error).message },
                  'zone not resolved; the node is its own zone',
                );
                return undefined;
              },
            )
        : undefined,
  });

  return {
    app,
    controller,
    start: async () => {
      controller.start();
      await lease.start();
    },
    close: async () => {
      await controller.stop();
      await prober.stop();
      await lease.stop();
      await driver.close();
      await subscriber.close();
      await producer.close();
      await Promise.all([...clients.values()].map((c) => c.close()));
      fast.disconnect();
      queueConnection.disconnect();
    },
  };
}
