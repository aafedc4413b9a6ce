import type { Queue } from 'bullmq';
import type { TransferObserver } from '@redoubt/anti-entropy';
import {
  registerQueueMetrics,
  type RedisProbe,
  type SupervisedWorker,
  type WorkerHealth,
} from '@redoubt/queues';
import { Counter, Gauge, Histogram, type Registry } from '@redoubt/telemetry';

/** Job durations span a 2 ms handoff to a multi-minute partition rebuild. */
const JOB_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/**
 * The worker's metrics. Queue depths come from Redis at scrape time (redoubt_queue_jobs, shared by all
 * worker replicas); the rest counts what this process did.
 */
export class WorkerMetrics {
  readonly jobDuration: Histogram<'queue' | 'name' | 'outcome'>;
  readonly jobsFinished: Counter<'queue' | 'name' | 'outcome'>;
  readonly jobsStalled: Counter<'queue'>;
  readonly bytesMoved: Counter<'queue'>;
  readonly recordsMoved: Counter<'queue'>;
  readonly recordsRepaired: Counter<'queue'>;
  readonly corruptFound: Counter<'node'>;
  readonly corruptUnrecoverable: Counter<'node'>;
  readonly workerRecreations: Counter<'queue'>;
  readonly divergentPartitions: Gauge;
  readonly lastSweep: Gauge;
  readonly sweepDuration: Histogram;
  readonly redisDurable: Gauge;

  constructor(
    private readonly registry: Registry,
    queues: readonly Queue[],
    supervisors: () => readonly SupervisedWorker[],
    probe: RedisProbe,
    throttleWaiters: () => number,
  ) {
    const registers = [registry];
    registerQueueMetrics(registry, queues);
    this.jobDuration = new Histogram({
      name: 'redoubt_job_duration_seconds',
      help: 'Time to run one job attempt, by queue, job name and outcome (completed, failed)',
      labelNames: ['queue', 'name', 'outcome'],
      buckets: JOB_DURATION_BUCKETS,
      registers,
    });
    this.jobsFinished = new Counter({
      name: 'redoubt_jobs_finished_total',
      help: 'Job attempts by outcome: completed; retrying (failed, will be retried with backoff); dead-lettered (no attempt left, stays in failed)',
      labelNames: ['queue', 'name', 'outcome'],
      registers,
    });
    this.jobsStalled = new Counter({
      name: 'redoubt_jobs_stalled_total',
      help: 'Jobs whose worker lost them (killed, hung) and that were moved back to wait by the stalled check',
      labelNames: ['queue'],
      registers,
    });
    this.bytesMoved = new Counter({
      name: 'redoubt_bytes_moved_total',
      help: 'Bytes of records read from one replica to be written to another',
      labelNames: ['queue'],
      registers,
    });
    this.recordsMoved = new Counter({
      name: 'redoubt_records_moved_total',
      help: 'Records read from one replica to be written to another',
      labelNames: ['queue'],
      registers,
    });
    this.recordsRepaired = new Counter({
      name: 'redoubt_records_repaired_total',
      help: 'Records written to a replica that lacked them or held an older version',
      labelNames: ['queue'],
      registers,
    });
    this.corruptFound = new Counter({
      name: 'redoubt_corrupt_records_found_total',
      help: 'Records found failing their checksum, by node',
      labelNames: ['node'],
      registers,
    });
    this.corruptUnrecoverable = new Counter({
      name: 'redoubt_corrupt_records_unrecoverable_total',
      help: 'Corrupt records no replica holds an intact copy of (data loss), by node',
      labelNames: ['node'],
      registers,
    });
    this.workerRecreations = new Counter({
      name: 'redoubt_worker_recreations_total',
      help: 'Workers closed and recreated by the watchdog because they stopped consuming',
      labelNames: ['queue'],
      registers,
    });
    this.divergentPartitions = new Gauge({
      name: 'redoubt_anti_entropy_divergent_partitions',
      help: 'Partitions whose replicas differed at the last anti-entropy sweep',
      registers,
    });
    this.lastSweep = new Gauge({
      name: 'redoubt_anti_entropy_last_sweep_timestamp_seconds',
      help: 'When the last anti-entropy sweep finished (unix seconds); the worker start time until the first one does',
      registers,
    });
    // Starting at the start time (not 0) lets "no sweep for an hour" alert without firing on every start.
    this.lastSweep.set(Date.now() / 1000);
    this.sweepDuration = new Histogram({
      name: 'redoubt_anti_entropy_sweep_duration_seconds',
      help: 'Time to compare the digests of every partition once',
      buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
      registers,
    });
    this.redisDurable = new Gauge({
      name: 'redoubt_redis_durable',
      help: '1 when Redis runs with appendonly yes and maxmemory-policy noeviction (checked at start), else 0',
      registers,
    });
    new Gauge({
      name: 'redoubt_redis_up',
      help: '1 when Redis answered the last PING in time',
      registers,
      collect() {
        this.set(probe.isFresh(5_000) ? 1 : 0);
      },
    });
    new Gauge({
      name: 'redoubt_redis_last_ok_age_seconds',
      help: 'Seconds since Redis last answered a PING',
      registers,
      collect() {
        const age = probe.sinceLastOk();
        this.set(Number.isFinite(age) ? age / 1000 : -1);
      },
    });
    const healthGauge = (name: string, help: string, value: (h: WorkerHealth) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['queue'],
        registers,
        collect() {
          for (const s of supervisors()) {
            const health = s.health();
            this.set({ queue: health.queue }, value(health));
          }
        },
      });
    healthGauge(
      'redoubt_worker_stuck',
      '1 when the watchdog found the worker not consuming a ready backlog',
      (h) => (h.stuck ? 1 : 0),
    );
    healthGauge('redoubt_worker_jobs_in_flight', 'Jobs this worker is running', (h) => h.inFlight);
    healthGauge(
      'redoubt_worker_last_pickup_age_seconds',
      'Seconds since this worker last started a job',
      (h) => h.msSinceLastPickup / 1000,
    );
    new Gauge({
      name: 'redoubt_transfer_throttle_waiters',
      help: 'Transfers waiting for bandwidth under the configured cap',
      registers,
      collect() {
        this.set(throttleWaiters());
      },
    });
  }

  /** Creates the job series at 0 so that alerts on increase() see the first failure. */
  initJobSeries(jobs: readonly { queue: string; name: string }[]): void {
    for (const { queue, name } of jobs) {
      for (const outcome of ['completed', 'retrying', 'dead-lettered'])
        this.jobsFinished.inc({ queue, name, outcome }, 0);
    }
  }

  /** Counts data movement and findings of one job kind. */
  observer(queue: string): TransferObserver {
    return {
      moved: (records, bytes) => {
        this.recordsMoved.inc({ queue }, records);
        this.bytesMoved.inc({ queue }, bytes);
      },
      repaired: (records) => this.recordsRepaired.inc({ queue }, records),
      corruptFound: (node) => this.corruptFound.inc({ node }),
    };
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
