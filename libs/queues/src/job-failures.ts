import { UnrecoverableError, type Job } from 'bullmq';
import type { z } from 'zod';
import { isRedoubtError } from '@redoubt/errors';

/**
 * A job's data checked against its schema. Data that does not fit can never succeed, so it fails the job
 * at once (BullMQ's UnrecoverableError, message `JOB_INVALID: ...` naming each wrong field) instead of
 * spending its attempts.
 */
export function parseJobData<S extends z.ZodType>(schema: S, job: Job): z.infer<S> {
  const result = schema.safeParse(job.data);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new UnrecoverableError(`JOB_INVALID: ${job.name} ${job.id}: ${issues}`);
  }
  return result.data;
}

/**
 * Runs a job body; a RedoubtError whose code is in `permanent` (no retry can fix it) becomes an
 * UnrecoverableError `CODE: message`, so BullMQ fails the job at once. Other errors are retried.
 */
export async function failPermanentErrorsAtOnce<R>(
  permanent: ReadonlySet<string>,
  body: () => Promise<R>,
): Promise<R> {
  try {
    return await body();
  } catch (error) {
    if (isRedoubtError(error) && permanent.has(error.code)) {
      throw new UnrecoverableError(`${error.code}: ${error.message}`);
    }
    throw error;
  }
}
