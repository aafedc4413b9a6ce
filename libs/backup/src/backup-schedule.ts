import type { Queue } from 'bullmq';
import { ensureRecurringJobs } from '@redoubt/queues';
import { BACKUP_JOB_NAMES, BACKUP_SCHEDULER_IDS } from './backup-jobs.js';
import type { BackupCadence } from './backup-settings.js';

/**
 * Keeps the backup queue's job schedulers at the given cadence (0 removes one): a full sweep (every
 * partition gets a new full backup on each of its targets), an incremental sweep, a restore drill and a
 * verify run. Safe to call from every worker replica and again on a timer (see ensureRecurringJobs).
 * Returns the scheduler ids created or changed.
 */
export async function scheduleBackups(queue: Queue, cadence: BackupCadence): Promise<string[]> {
  return ensureRecurringJobs(queue, [
    {
      schedulerId: BACKUP_SCHEDULER_IDS.full,
      everyMs: cadence.fullEveryMs,
      jobName: BACKUP_JOB_NAMES.sweep,
      data: { kind: 'full' },
      options: { attempts: 3, removeOnComplete: { count: 50 }, removeOnFail: { count: 200 } },
    },
    {
      schedulerId: BACKUP_SCHEDULER_IDS.incremental,
      everyMs: cadence.incrementalEveryMs,
      jobName: BACKUP_JOB_NAMES.sweep,
      data: { kind: 'auto' },
      options: { attempts: 3, removeOnComplete: { count: 50 }, removeOnFail: { count: 200 } },
    },
    {
      schedulerId: BACKUP_SCHEDULER_IDS.drill,
      everyMs: cadence.drillEveryMs,
      jobName: BACKUP_JOB_NAMES.drill,
      data: {},
      options: { attempts: 2 },
    },
    {
      schedulerId: BACKUP_SCHEDULER_IDS.verify,
      everyMs: cadence.verifyEveryMs,
      jobName: BACKUP_JOB_NAMES.verify,
      data: {},
      options: { attempts: 2 },
    },
  ]);
}
