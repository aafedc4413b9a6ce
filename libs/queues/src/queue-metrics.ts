import type { Queue } from 'bullmq';
import { Gauge, type Registry } from '@redoubt/telemetry';
import { withDeadline } from './redis-probe.js';

const STATES = [
  'wait',
  'prioritized',
  'active',
  'delayed',
  'failed',
  'completed',
  'waiting-children',
] as const;

/**
 * Queue gauges read from Redis at scrape time, so they are right whichever worker replica is scraped and
 * survive worker restarts (a counter in the process would reset):
 * - `redoubt_queue_jobs{queue,state}`: BullMQ's job counts (the same numbers as
 *   `queue.exportPrometheusMetrics()`, in this registry and naming);
 * - `redoubt_queue_oldest_waiting_seconds{queue}`: age of the oldest job waiting to run, i.e. how far the
 *   queue lags (for the repair queue: the repair lag).
 * A scrape while Redis is away keeps the last values rather than failing the whole /metrics endpoint.
 */
export function registerQueueMetrics(registry: Registry, queues: readonly Queue[], timeoutMs = 2_000): void {
  new Gauge({
    name: 'redoubt_queue_jobs',
    help: 'Jobs in each BullMQ queue by state (read from Redis at scrape time)',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      await Promise.all(
        queues.map(async (queue) => {
          try {
            const counts = await withDeadline(queue.getJobCounts(...STATES), timeoutMs, 'getJobCounts');
            for (const state of STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
          } catch {
            // keep the last values; redoubt_redis_up says why
          }
        }),
      );
    },
  });
  new Gauge({
    name: 'redoubt_queue_oldest_waiting_seconds',
    help: 'Age of the oldest job waiting to run (wait or prioritized), by queue: the lag of the queue',
    labelNames: ['queue'],
    registers: [registry],
    async collect() {
      await Promise.all(
        queues.map(async (queue) => {
          try {
            const age = await withDeadline(oldestWaitingAgeMs(queue), timeoutMs, 'oldest waiting job');
            this.set({ queue: queue.name }, age / 1000);
          } catch {
            // keep the last value
          }
        }),
      );
    },
  });
}

/**
 * Age of the oldest waiting job. The wait list is FIFO (its oldest end is exact); prioritized jobs are
 * ordered by priority, then FIFO, so the oldest is at the front of some priority band: the first and last
 * 50 cover the highest and lowest bands, which is where a starved job is.
 */
export async function oldestWaitingAgeMs(queue: Queue, now = Date.now()): Promise<number> {
  const [oldestWait, firstPrioritized, lastPrioritized] = await Promise.all([
    queue.getJobs(['wait'], 0, 0, true),
    queue.getJobs(['prioritized'], 0, 49, true),
    queue.getJobs(['prioritized'], 0, 49, false),
  ]);
  let oldest = now;
  for (const job of [...oldestWait, ...firstPrioritized, ...lastPrioritized]) {
    if (job && job.timestamp < oldest) oldest = job.timestamp;
  }
  return Math.max(0, now - oldest);
}
