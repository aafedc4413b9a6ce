import type { Express } from 'express';
import { describeRedisTarget, redisTargetOf } from '@redoubt/config';
import { clusterViewOfMap, TransferThrottle, type ClusterView } from '@redoubt/anti-entropy';
import { ClusterMap, type DataNodeAddress, type DataNodeApi } from '@redoubt/cluster-client';
import { followPlacement } from '@redoubt/membership';
import { wireBackups } from './backup-wiring.js';
import {
  checkRedisDurability,
  createRedisConnection,
  ensureRecurringJobs,
  JOB_NAMES,
  JobProducer,
  PRIORITY,
  QUEUES,
  RedisProbe,
  SCHEDULER_IDS,
  SupervisedWorker,
  type JobProcessor,
  type RedisDurabilityCheck,
} from '@redoubt/queues';
import { createMetricsRegistry, type Logger } from '@redoubt/telemetry';
import {
  moveProcessor,
  repairProcessor,
  replicateProcessor,
  scrubProcessor,
  type ProcessorDeps,
} from './job-processors.js';
import { placementFromNodes } from '@redoubt/placement';
import { startRepairPacing } from './repair-pacing.js';
import { createWorkerApp } from './worker-app.js';
import type { WorkerConfig } from './worker-config.js';
import { WorkerMetrics } from './worker-metrics.js';

export interface AssembledWorker {
  app: Express;
  supervisors: readonly SupervisedWorker[];
  cluster: ClusterView;
  /** Checks Redis, starts the workers and the job schedulers. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** How often the job schedulers are checked (and put back if Redis lost them). */
const SCHEDULER_REFRESH_MS = 60_000;

/**
 * Wires the backup-worker: the placement (epoch 1 from DATA_NODES, as the gateway) joined with one client
 * per data node (ClusterMap), the shared bandwidth throttle, one supervised BullMQ worker per queue, the job schedulers, the
 * metrics and the HTTP app. `onGiveUp` is called when a watchdog could not revive a worker (the process
 * should exit and be restarted).
 */
export function assembleWorker(
  config: WorkerConfig,
  logger: Logger,
  onGiveUp: (reason: string) => void,
  options: { createClient?: (address: DataNodeAddress) => DataNodeApi } = {},
): AssembledWorker {
  const registry = createMetricsRegistry('backup-worker', { instance: config.WORKER_ID });
  const matrix = placementFromNodes({
    nodes: config.DATA_NODES,
    zones: config.DATA_NODE_ZONES,
    partitions: config.PARTITIONS,
    replicas: config.REPLICAS,
  });
  const map = new ClusterMap({
    matrix,
    nodes: config.DATA_NODES,
    clusterToken: config.CLUSTER_TOKEN,
    client: { timeoutMs: config.REPLICA_TIMEOUT_MS },
    ...(options.createClient ? { createClient: options.createClient } : {}),
  });
  const redisTarget = redisTargetOf(config);
  // Follow the epochs the monitor publishes (epoch 1 from the configuration until then).
  const follower = followPlacement([map], {
    redis: redisTarget,
    prefix: config.QUEUE_PREFIX,
    fallback: () => matrix,
    configuredNodes: config.DATA_NODES,
    logger,
  });
  const cluster = clusterViewOfMap(map);
  const throttle = new TransferThrottle(config.BANDWIDTH_LIMIT_MB_S * 1_000_000);
  const pacing = startRepairPacing(config, cluster, throttle, logger, registry);

  // One connection for the probe, the producer (sweep fan-out) and the board's queues; the workers and
  // their watchdogs have their own, so a wedged worker connection never hides behind a healthy one.
  const admin = createRedisConnection(redisTarget, 'worker', {
    connectionName: `redoubt-worker-${config.WORKER_ID}`,
  });
  admin.on('error', () => undefined);
  const probe = new RedisProbe(admin, {
    onChange: (up, error) =>
      up ? logger.info('redis answering') : logger.warn({ err: error?.message }, 'redis not answering'),
  });
  const producer = new JobProducer(admin, config.QUEUE_PREFIX, {
    attempts: config.JOB_ATTEMPTS,
    backoff: { type: 'exponential', delay: config.JOB_BACKOFF_MS, jitter: 0.5 },
  });
  const backups = wireBackups({
    env: process.env,
    registry,
    backupQueue: producer.queue(QUEUES.backup),
    redis: admin,
    clusterMap: map,
    partitions: config.PARTITIONS,
    requestTimeoutMs: config.REPLICA_TIMEOUT_MS,
    maxShare: config.BACKUP_MAX_SHARE,
    logger,
  });
  const queues = [
    QUEUES.replicate,
    QUEUES.repairPartition,
    QUEUES.rebalanceMove,
    QUEUES.scrub,
    ...(backups ? [QUEUES.backup, QUEUES.restore] : []),
  ].map((name) => producer.queue(name));

  const shutdown = new AbortController();
  const supervisors: SupervisedWorker[] = [];
  let durability: RedisDurabilityCheck | undefined;
  const metrics = new WorkerMetrics(
    registry,
    queues,
    () => supervisors,
    probe,
    () => throttle.queued,
  );
  metrics.initJobSeries([
    { queue: QUEUES.replicate, name: JOB_NAMES.replicate },
    { queue: QUEUES.repairPartition, name: JOB_NAMES.repairPartition },
    { queue: QUEUES.repairPartition, name: JOB_NAMES.antiEntropySweep },
    { queue: QUEUES.rebalanceMove, name: JOB_NAMES.rebalanceMove },
    { queue: QUEUES.scrub, name: JOB_NAMES.scrub },
    { queue: QUEUES.scrub, name: JOB_NAMES.scrubSweep },
  ]);

  const deps: ProcessorDeps = {
    cluster: () => cluster,
    throttle,
    producer,
    metrics,
    logger,
    requestTimeoutMs: config.REPLICA_TIMEOUT_MS,
    streamTimeoutMs: config.STREAM_TIMEOUT_MS,
    sweepConcurrency: config.SWEEP_CONCURRENCY,
    writeQuorum: config.WRITE_QUORUM,
    readQuorum: config.READ_QUORUM,
    shutdown: shutdown.signal,
  };

  const supervise = (queue: string, processor: JobProcessor, concurrency: number) =>
    new SupervisedWorker({
      queue,
      redis: redisTarget,
      prefix: config.QUEUE_PREFIX,
      processor,
      concurrency,
      lockDurationMs: config.JOB_LOCK_MS,
      stalledIntervalMs: config.STALLED_INTERVAL_MS,
      maxStalledCount: config.MAX_STALLED_COUNT,
      watchdog: {
        intervalMs: config.WATCHDOG_INTERVAL_MS,
        stuckAfterMs: config.WATCHDOG_STUCK_MS,
        maxRecreations: config.WATCHDOG_MAX_RECREATIONS,
      },
      logger,
      onGiveUp,
      events: {
        completed: (job, _result, ms) => {
          metrics.jobDuration.observe({ queue, name: job.name, outcome: 'completed' }, ms / 1000);
          metrics.jobsFinished.inc({ queue, name: job.name, outcome: 'completed' });
        },
        failed: (job, error, final, ms) => {
          const name = job?.name ?? 'unknown';
          if (ms !== undefined) metrics.jobDuration.observe({ queue, name, outcome: 'failed' }, ms / 1000);
          metrics.jobsFinished.inc({ queue, name, outcome: final ? 'dead-lettered' : 'retrying' });
          const fields = { queue, job: job?.id, name, attemptsMade: job?.attemptsMade, err: error.message };
          if (final)
            logger.error(fields, 'job failed for good: it stays in the failed state until an operator acts');
          else logger.warn(fields, 'job attempt failed; retrying with backoff');
        },
        stalled: (jobId) => {
          metrics.jobsStalled.inc({ queue });
          logger.warn({ queue, job: jobId }, 'job stalled (its worker died or hung); it runs again');
        },
        recreated: () => metrics.workerRecreations.inc({ queue }),
      },
    });
  supervisors.push(
    supervise(QUEUES.replicate, replicateProcessor(deps), config.REPLICATE_CONCURRENCY),
    supervise(QUEUES.repairPartition, repairProcessor(deps), config.REPAIR_CONCURRENCY),
    supervise(QUEUES.rebalanceMove, moveProcessor(deps), config.MOVE_CONCURRENCY),
    supervise(QUEUES.scrub, scrubProcessor(deps), config.SCRUB_CONCURRENCY),
  );
  if (backups) {
    supervisors.push(
      supervise(QUEUES.backup, backups.backupProcessor, config.BACKUP_CONCURRENCY),
      supervise(QUEUES.restore, backups.restoreProcessor, config.RESTORE_CONCURRENCY),
    );
  }

  const app = createWorkerApp({
    workerId: config.WORKER_ID,
    adminKey: config.ADMIN_KEY,
    logger,
    registry,
    probe,
    supervisors: () => supervisors,
    durability: () => durability,
    boardQueues: queues,
    producer,
    redisStaleMs: config.REDIS_STALE_MS,
    placementEpoch: () => cluster.epoch,
  });

  const ensureSchedules = async () => {
    const changed = [
      ...(await ensureRecurringJobs(producer.queue(QUEUES.repairPartition), [
        {
          schedulerId: SCHEDULER_IDS.antiEntropy,
          everyMs: config.ANTI_ENTROPY_EVERY_MS,
          jobName: JOB_NAMES.antiEntropySweep,
          data: {},
          options: { priority: PRIORITY.antiEntropy, attempts: 3, removeOnComplete: { count: 100 } },
        },
      ])),
      ...(await ensureRecurringJobs(producer.queue(QUEUES.scrub), [
        {
          schedulerId: SCHEDULER_IDS.scrub,
          everyMs: config.SCRUB_EVERY_MS,
          jobName: JOB_NAMES.scrubSweep,
          data: {},
          options: { priority: PRIORITY.scrub, attempts: 3, removeOnComplete: { count: 100 } },
        },
      ])),
    ];
    await backups?.ensureSchedules();
    if (changed.length > 0) {
      logger.info(
        {
          schedulers: changed,
          antiEntropyEveryMs: config.ANTI_ENTROPY_EVERY_MS,
          scrubEveryMs: config.SCRUB_EVERY_MS,
        },
        'job schedulers set',
      );
    }
  };
  let scheduleTimer: NodeJS.Timeout | undefined;
  let scheduling: Promise<void> | undefined;
  const refreshSchedules = () => {
    scheduling ??= ensureSchedules()
      .catch((error: Error) =>
        logger.warn({ err: error.message }, 'could not set the job schedulers; retrying'),
      )
      .finally(() => (scheduling = undefined));
  };

  return {
    app,
    supervisors,
    cluster,
    async start() {
      probe.start();
      void checkRedisDurability(admin).then((check) => {
        durability = check;
        metrics.redisDurable.set(check.ok ? 1 : 0);
        if (!check.ok) {
          for (const problem of check.problems) {
            logger.error(
              { redis: describeRedisTarget(redisTarget) },
              `REDIS IS NOT SAFE FOR QUEUES: ${problem}`,
            );
          }
        }
      });
      for (const supervisor of supervisors) supervisor.start();
      refreshSchedules();
      scheduleTimer = setInterval(refreshSchedules, SCHEDULER_REFRESH_MS);
      scheduleTimer.unref();
      logger.info(
        {
          queues: supervisors.map((s) => s.queueName),
          partitions: matrix.partitions,
          replicas: matrix.replicas,
          dataNodes: cluster.nodeIds(),
          bandwidthLimitMBs: config.BANDWIDTH_LIMIT_MB_S || 'unlimited',
        },
        'backup-worker started',
      );
    },
    async close() {
      clearInterval(scheduleTimer);
      probe.stop();
      pacing?.stop();
      // Let short jobs finish; then abort the long ones (they are retried, and resume from the digests).
      const closing = Promise.all(supervisors.map((s) => s.close()));
      const timer = setTimeout(() => shutdown.abort(new Error('backup-worker shutting down')), 5_000);
      await closing;
      clearTimeout(timer);
      await scheduling;
      await producer.close();
      admin.disconnect();
      await follower.close();
      await map.close();
    },
  };
}
