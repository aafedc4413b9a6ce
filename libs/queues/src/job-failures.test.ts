import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue, QueueEvents, Worker, type Job } from 'bullmq';
import { RedoubtError } from '@redoubt/errors';
import { startTempRedisServer, type TempRedisServer } from '@redoubt/local-stack';
import {
  createRedisConnection,
  failPermanentErrorsAtOnce,
  parseJobData,
  replicateJobSchema,
} from './index.js';

/** Real BullMQ jobs on a real redis-server: which failures spend a job's attempts and which end it at once. */
let redis: TempRedisServer;

beforeAll(async () => {
  redis = await startTempRedisServer('redoubt-job-failures-');
});

afterAll(() => redis?.dispose());

const PERMANENT = new Set(['WRONG_PARTITION']);

/** Runs one job with 3 attempts through `processor`; resolves with the failed job once it failed for good. */
async function failedJob(name: string, data: unknown, processor: (job: Job) => Promise<unknown>) {
  const prefix = `jf-${name}`;
  const connection = createRedisConnection(redis.url, 'worker');
  const queue = new Queue('jobs', { connection, prefix });
  const events = new QueueEvents('jobs', { connection: createRedisConnection(redis.url, 'worker'), prefix });
  const worker = new Worker('jobs', processor, {
    connection: createRedisConnection(redis.url, 'worker'),
    prefix,
  });
  try {
    await events.waitUntilReady();
    const job = await queue.add(name, data, { attempts: 3, backoff: { type: 'fixed', delay: 10 } });
    await job.waitUntilFinished(events, 20_000).catch(() => undefined);
    return (await queue.getJob(job.id!))!;
  } finally {
    await worker.close();
    await events.close();
    await queue.close();
  }
}

describe('job failures', () => {
  it('fails a job whose data does not fit its schema at once, naming the field', async () => {
    const job = await failedJob('invalid', { key: 'k', partition: -1 }, async (j) =>
      parseJobData(replicateJobSchema, j),
    );
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toMatch(/^JOB_INVALID: invalid \d+: .*partition/);
  });

  it('fails at once on a permanent error, and spends every attempt on any other', async () => {
    const permanent = await failedJob('permanent', {}, () =>
      failPermanentErrorsAtOnce(PERMANENT, () =>
        Promise.reject(new RedoubtError('WRONG_PARTITION', 'elsewhere')),
      ),
    );
    expect([permanent.attemptsMade, permanent.failedReason]).toEqual([1, 'WRONG_PARTITION: elsewhere']);

    const transient = await failedJob('transient', {}, () =>
      failPermanentErrorsAtOnce(PERMANENT, () =>
        Promise.reject(new RedoubtError('REPLICA_UNAVAILABLE', 'node away')),
      ),
    );
    expect([transient.attemptsMade, transient.failedReason]).toEqual([3, 'node away']);
  });
});
