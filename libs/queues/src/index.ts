export { QUEUES, DEFAULT_QUEUE_PREFIX, PRIORITY, type QueueName } from './queue-names.js';
export {
  replicateJobSchema,
  repairPartitionJobSchema,
  rebalanceMoveJobSchema,
  scrubJobSchema,
  type ReplicateJob,
  type RepairPartitionJob,
  type RebalanceMoveJob,
  type ScrubJob,
} from './job-schemas.js';
export { replicateJobId, repairJobId, moveJobId, scrubJobId } from './job-ids.js';
export { createRedisConnection } from './redis-connection.js';
export { JobProducer, DEFAULT_JOB_OPTIONS } from './job-producer.js';
