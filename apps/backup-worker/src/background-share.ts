import { setTimeout as sleep } from 'node:timers/promises';
import type { Job } from 'bullmq';
import { BACKUP_JOB_NAMES } from '@redoubt/backup';
import type { JobProcessor } from '@redoubt/queues';

/**
 * Holds scheduled backups to `share` of their slot's time: after a scheduled backup-partition job that
 * took d ms, the slot rests d * (1 - share) / share ms before taking the next job (a duty cycle). With
 * BACKUP_CONCURRENCY slots, scheduled backups use at most concurrency x share slots' worth of the machine,
 * whatever the jobs cost. An operator's `redoubt backup now` (data.interactive) is not held back, and a
 * shutdown ends the rest at once.
 */
export function withBackgroundShare(processor: JobProcessor, share: number): JobProcessor {
  return async (job: Job, signal?: AbortSignal) => {
    const begun = performance.now();
    const result = await processor(job, signal);
    const scheduled =
      job.name === BACKUP_JOB_NAMES.partition &&
      (job.data as { interactive?: boolean } | undefined)?.interactive !== true;
    if (scheduled && share < 1) {
      const rest = ((performance.now() - begun) * (1 - share)) / share;
      await sleep(rest, undefined, signal ? { signal } : {}).catch(() => undefined);
    }
    return result;
  };
}
