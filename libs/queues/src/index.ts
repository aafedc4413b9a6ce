export { QUEUES, DEFAULT_QUEUE_PREFIX, PRIORITY, type QueueName } from './queue-names.js';
export { JOB_NAMES, SCHEDULER_IDS, type JobName } from './job-names.js';
export {
  replicateJobSchema,
  repairPartitionJobSchema,
  rebalanceMoveJobSchema,
  scrubJobSchema,
  antiEntropySweepJobSchema,
  scrubSweepJobSchema,
  type ReplicateJob,
  type RepairPartitionJob,
  type RebalanceMoveJob,
  type ScrubJob,
  type AntiEntropySweepJob,
  type ScrubSweepJob,
} from './job-schemas.js';
export { replicateJobId, repairJobId, repairDeduplicationId, moveJobId, scrubJobId } from './job-ids.js';
export { createRedisConnection } from './redis-connection.js';
export { JobProducer, DEFAULT_JOB_OPTIONS } from './job-producer.js';
export { DEFAULT_WORKER_SETTINGS, DEFAULT_WATCHDOG_SETTINGS } from './worker-settings.js';
export {
  SupervisedWorker,
  type SupervisedWorkerOptions,
  type SupervisedWorkerEvents,
  type WorkerWatchdogOptions,
  type WorkerHealth,
  type JobProcessor,
} from './supervised-worker.js';
export {
  RedisProbe,
  checkRedisDurability,
  withDeadline,
  type RedisProbeOptions,
  type RedisDurabilityCheck,
} from './redis-probe.js';
export { ensureRecurringJobs, type RecurringJob } from './job-schedulers.js';
export { parseJobData, failPermanentErrorsAtOnce } from './job-failures.js';
export { registerQueueMetrics, oldestWaitingAgeMs } from './queue-metrics.js';
