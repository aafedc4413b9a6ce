import type { Job } from 'bullmq';
import {
  movePartition,
  reconcilePartition,
  replicateVersion,
  scrubNode,
  sweepPartitions,
  type AntiEntropyContext,
  type ClusterView,
  type DivergenceRisk,
  type TransferThrottle,
} from '@redoubt/anti-entropy';
import {
  antiEntropySweepJobSchema,
  JOB_NAMES,
  PRIORITY,
  rebalanceMoveJobSchema,
  repairPartitionJobSchema,
  replicateJobSchema,
  scrubJobId,
  scrubJobSchema,
  scrubSweepJobSchema,
  failPermanentErrorsAtOnce,
  parseJobData,
  type JobProducer,
  type JobProcessor,
} from '@redoubt/queues';
import type { Logger } from '@redoubt/telemetry';
import type { WorkerMetrics } from './worker-metrics.js';

export interface ProcessorDeps {
  cluster: () => ClusterView;
  throttle: TransferThrottle;
  producer: JobProducer;
  metrics: WorkerMetrics;
  logger: Logger;
  requestTimeoutMs: number;
  streamTimeoutMs: number;
  sweepConcurrency: number;
  writeQuorum: number;
  readQuorum: number;
  /** Aborted when the worker shuts down. */
  shutdown: AbortSignal;
}

/** Errors that no retry can fix: the job fails at once instead of burning its attempts. */
const PERMANENT = new Set([
  'JOB_INVALID',
  'INVALID_ARGUMENT',
  'NODE_NOT_FOUND',
  'WRONG_PARTITION',
  'AUTH_INVALID',
]);

const RISK_PRIORITY: Record<DivergenceRisk, number> = {
  'below-write-quorum': PRIORITY.belowW,
  'below-read-quorum': PRIORITY.belowR,
  diverged: PRIORITY.antiEntropy,
};

/** Runs a job body; permanent domain errors fail the job at once instead of retrying. */
function run<R>(body: () => Promise<R>): Promise<R> {
  return failPermanentErrorsAtOnce(PERMANENT, body);
}

function context(
  deps: ProcessorDeps,
  queue: string,
  job: Job,
  signal: AbortSignal | undefined,
): AntiEntropyContext {
  return {
    cluster: deps.cluster(),
    throttle: deps.throttle,
    priority: job.priority || undefined,
    signal: signal ? AbortSignal.any([signal, deps.shutdown]) : deps.shutdown,
    requestTimeoutMs: deps.requestTimeoutMs,
    streamTimeoutMs: deps.streamTimeoutMs,
    observer: deps.metrics.observer(queue),
    progress: async (progress) => {
      await job.updateProgress(progress).catch(() => undefined);
    },
  };
}

/** replicate: hinted handoff and read repair, one record version at a time. */
export function replicateProcessor(deps: ProcessorDeps): JobProcessor {
  return (job, signal) =>
    run(async () => {
      const data = parseJobData(replicateJobSchema, job);
      return replicateVersion(context(deps, 'replicate', job, signal), data);
    });
}

/** repair-partition: repairs, and the scheduled sweep that finds what to repair. */
export function repairProcessor(deps: ProcessorDeps): JobProcessor {
  return (job, signal) =>
    run(async () => {
      const ctx = context(deps, 'repair-partition', job, signal);
      if (job.name === JOB_NAMES.antiEntropySweep) {
        const data = parseJobData(antiEntropySweepJobSchema, job);
        const started = performance.now();
        const found: { partition: number; risk: DivergenceRisk }[] = [];
        const report = await sweepPartitions(ctx, {
          ...(data.partitions ? { partitions: data.partitions } : {}),
          concurrency: deps.sweepConcurrency,
          writeQuorum: deps.writeQuorum,
          readQuorum: deps.readQuorum,
          onDivergent: async (divergent) => {
            found.push({ partition: divergent.partition, risk: divergent.risk });
            await deps.producer.repairPartition(
              { partition: divergent.partition, reason: 'anti-entropy', epoch: ctx.cluster.epoch },
              { priority: RISK_PRIORITY[divergent.risk], deduplicate: true },
            );
          },
        });
        deps.metrics.sweepDuration.observe((performance.now() - started) / 1000);
        deps.metrics.lastSweep.set(Date.now() / 1000);
        deps.metrics.divergentPartitions.set(report.divergent);
        if (report.divergent > 0 || report.downNodes.length > 0) {
          deps.logger.info(
            { ...report, repairs: found.slice(0, 20) },
            'anti-entropy sweep found divergent partitions',
          );
        }
        return { ...report, repairs: found.length };
      }
      const data = parseJobData(repairPartitionJobSchema, job);
      return reconcilePartition(
        ctx,
        data.replicas ? { partition: data.partition, replicas: data.replicas } : data,
      );
    });
}

/** rebalance-move: copy, verify, then drop from the old owner. */
export function moveProcessor(deps: ProcessorDeps): JobProcessor {
  return (job, signal) =>
    run(async () => {
      const data = parseJobData(rebalanceMoveJobSchema, job);
      return movePartition(context(deps, 'rebalance-move', job, signal), data);
    });
}

/** scrub: per-node checksum verification, and the scheduled fan-out to every node. */
export function scrubProcessor(deps: ProcessorDeps): JobProcessor {
  return (job, signal) =>
    run(async () => {
      const ctx = context(deps, 'scrub', job, signal);
      if (job.name === JOB_NAMES.scrubSweep) {
        const data = parseJobData(scrubSweepJobSchema, job);
        const nodes = data.nodes ?? ctx.cluster.nodeIds();
        const round = String(job.id ?? Date.now()).replace(/[^A-Za-z0-9_-]/g, '_');
        for (const node of nodes) await deps.producer.scrub({ node }, { jobId: scrubJobId(node, round) });
        return { enqueued: nodes.length };
      }
      const data = parseJobData(scrubJobSchema, job);
      const report = await scrubNode(ctx, data);
      for (const corrupt of report.corrupt) {
        if (corrupt.outcome !== 'replaced') deps.metrics.corruptUnrecoverable.inc({ node: report.node });
      }
      if (report.corrupt.length > 0) {
        deps.logger.warn(
          { node: report.node, corrupt: report.corrupt.slice(0, 20), checked: report.checked },
          'scrub found corrupt records',
        );
      }
      return report;
    });
}
