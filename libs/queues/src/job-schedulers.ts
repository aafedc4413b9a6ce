import type { JobsOptions, Queue } from 'bullmq';

export interface RecurringJob {
  /** Stable id of the BullMQ job scheduler (one per purpose, shared by every worker replica). */
  schedulerId: string;
  /** Cadence; 0 removes the scheduler (the feature is switched off). */
  everyMs: number;
  jobName: string;
  data: Record<string, unknown>;
  options?: Pick<JobsOptions, 'priority' | 'attempts' | 'backoff' | 'removeOnComplete' | 'removeOnFail'>;
}

/**
 * Makes sure each job scheduler exists with its cadence (BullMQ `upsertJobScheduler`). Safe to call from
 * every worker replica and again and again: a scheduler that already has the right cadence is left alone
 * (so its next run is not pushed back), a missing one (Redis lost its data, someone obliterated the queue)
 * is created again, a changed cadence is updated, and a cadence of 0 removes the scheduler.
 * Returns the ids it created or updated.
 */
export async function ensureRecurringJobs(queue: Queue, jobs: readonly RecurringJob[]): Promise<string[]> {
  const changed: string[] = [];
  for (const job of jobs) {
    const existing = await queue.getJobScheduler(job.schedulerId);
    if (job.everyMs <= 0) {
      if (existing) {
        await queue.removeJobScheduler(job.schedulerId);
        changed.push(job.schedulerId);
      }
      continue;
    }
    if (existing && Number(existing.every) === job.everyMs && existing.name === job.jobName) continue;
    await queue.upsertJobScheduler(
      job.schedulerId,
      { every: job.everyMs },
      { name: job.jobName, data: job.data, opts: job.options ?? {} },
    );
    changed.push(job.schedulerId);
  }
  return changed;
}
