import { checkClusterShape, clusterEnvShape, env, z } from '@redoubt/config';

/**
 * The backup-worker's environment: the shared contract (docs/service-contracts.md) plus its own knobs,
 * documented in apps/backup-worker/README.md. Validated at start; a wrong value stops the process naming
 * the variable.
 */
export const workerConfigSchema = z
  .object({
    WORKER_ID: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must match [A-Za-z0-9_-]{1,64}'),
    WORKER_HOST: env.host(),
    WORKER_PORT: env.port().default(8090),
    ...clusterEnvShape,
    REPLICA_TIMEOUT_MS: env.positiveInt().default(2_000),

    /** Jobs run at once, per queue. */
    REPLICATE_CONCURRENCY: env.positiveInt().default(16),
    REPAIR_CONCURRENCY: env.positiveInt().default(2),
    MOVE_CONCURRENCY: env.positiveInt().default(1),
    SCRUB_CONCURRENCY: env.positiveInt().default(1),
    /**
     * Backup jobs at once. A small partition's backup is a few round trips (data node, target), so this
     * is what `redoubt backup now` on a small cluster waits on; scheduled backups are held to
     * BACKUP_CONCURRENCY x BACKUP_MAX_SHARE slots' worth (8 x 0.125 = 1, as 4 x 0.25 was before).
     */
    BACKUP_CONCURRENCY: env.positiveInt().default(8),
    RESTORE_CONCURRENCY: env.positiveInt().default(4),
    /**
     * Share of each backup slot's time that scheduled backups may use (0 < share <= 1): after a scheduled
     * backup job that took d ms the slot rests d * (1 - share) / share ms. With BACKUP_CONCURRENCY this
     * bounds what background backups take from client traffic; `redoubt backup now` is not held back.
     */
    BACKUP_MAX_SHARE: z.coerce.number().gt(0).max(1).default(0.125),
    /** Cap on data moved by this worker (all jobs together), MB/s (10^6 bytes); 0 = no cap. */
    BANDWIDTH_LIMIT_MB_S: z.coerce.number().min(0).default(100),
    /**
     * Pacing of transfers against client latency (src/repair-pacing.ts): the rate is cut while a probe
     * read of the data nodes takes more than this many times its quiet baseline; 0 = no pacing (the
     * fixed BANDWIDTH_LIMIT_MB_S alone). 2 aims at client p99 within 3x during a rebuild (bench:repair).
     */
    REPAIR_MAX_LATENCY_RATIO: z.coerce
      .number()
      .refine((n) => n === 0 || n >= 1.1, 'must be 0 (off) or at least 1.1')
      .default(2),
    /** The pacer's floor, MB/s: a rebuild always progresses, however busy the clients. */
    REPAIR_MIN_MB_S: z.coerce.number().gt(0).default(2),
    /** Full anti-entropy sweep cadence; 0 = no scheduled sweep. */
    ANTI_ENTROPY_EVERY_MS: env.nonNegativeInt().default(300_000),
    /** Scrub of every node cadence; 0 = no scheduled scrub. */
    SCRUB_EVERY_MS: env.nonNegativeInt().default(21_600_000),
    /** Partitions whose digests a sweep compares at once. */
    SWEEP_CONCURRENCY: env.positiveInt().default(8),
    /** Attempts and first backoff of the jobs this worker enqueues (repairs from sweeps, scrubs). */
    JOB_ATTEMPTS: env.positiveInt().default(8),
    JOB_BACKOFF_MS: env.positiveInt().default(1_000),
    /** BullMQ job lock; a killed worker's job is retaken after it expires and the stalled check runs. */
    JOB_LOCK_MS: env.positiveInt().min(1_000).default(30_000),
    STALLED_INTERVAL_MS: env.positiveInt().min(500).default(15_000),
    MAX_STALLED_COUNT: env.positiveInt().default(3),
    /** Timeout of one stream call (a batch of buckets) to a data node. */
    STREAM_TIMEOUT_MS: env.positiveInt().default(120_000),
    /** Watchdog: look every WATCHDOG_INTERVAL_MS; stuck after WATCHDOG_STUCK_MS without progress while Redis answers. */
    WATCHDOG_INTERVAL_MS: env.positiveInt().default(5_000),
    WATCHDOG_STUCK_MS: env.positiveInt().default(30_000),
    /** Recreations in 10 minutes before the worker exits(1) to be restarted. */
    WATCHDOG_MAX_RECREATIONS: env.positiveInt().default(3),
    /** /readyz fails when Redis has not answered a PING for this long. */
    REDIS_STALE_MS: env.positiveInt().default(10_000),
  })
  .superRefine(checkClusterShape);

export type WorkerConfig = z.infer<typeof workerConfigSchema>;
