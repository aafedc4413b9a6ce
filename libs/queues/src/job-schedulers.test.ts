import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTempRedisServer, type TempRedisServer } from '@redoubt/local-stack';
import {
  createRedisConnection,
  ensureRecurringJobs,
  JobProducer,
  oldestWaitingAgeMs,
  QUEUES,
} from './index.js';

let redis: TempRedisServer;

beforeAll(async () => {
  redis = await startTempRedisServer('redoubt-schedulers-');
});

afterAll(() => redis?.dispose());

describe('ensureRecurringJobs', () => {
  it('creates a scheduler once, leaves it alone when unchanged, and puts it back after the queue was obliterated', async () => {
    const connection = createRedisConnection(redis.url, 'worker');
    const producer = new JobProducer(connection, 'sched');
    const queue = producer.queue(QUEUES.repairPartition);
    const spec = { schedulerId: 'sweep', everyMs: 60_000, jobName: 'anti-entropy-sweep', data: {} };

    expect(await ensureRecurringJobs(queue, [spec])).toEqual(['sweep']);
    const first = await queue.getJobScheduler('sweep');
    expect(first?.every).toBe(60_000);
    expect(await ensureRecurringJobs(queue, [spec])).toEqual([]);
    expect((await queue.getJobScheduler('sweep'))?.next).toBe(first?.next); // next run not pushed back

    expect(await ensureRecurringJobs(queue, [{ ...spec, everyMs: 30_000 }])).toEqual(['sweep']);
    expect((await queue.getJobScheduler('sweep'))?.every).toBe(30_000);

    await queue.obliterate({ force: true });
    expect(await queue.getJobScheduler('sweep')).toBeUndefined();
    expect(await ensureRecurringJobs(queue, [spec])).toEqual(['sweep']);
    expect(await queue.getJobScheduler('sweep')).toBeDefined();

    expect(await ensureRecurringJobs(queue, [{ ...spec, everyMs: 0 }])).toEqual(['sweep']);
    expect(await queue.getJobScheduler('sweep')).toBeUndefined();
    await producer.close();
    connection.disconnect();
  });
});

describe('JobProducer.repairPartition', () => {
  it('keeps one outstanding repair per partition when asked to deduplicate', async () => {
    const connection = createRedisConnection(redis.url, 'worker');
    const producer = new JobProducer(connection, 'dedupe');
    const first = await producer.repairPartition(
      { partition: 5, reason: 'anti-entropy' },
      { deduplicate: true },
    );
    const second = await producer.repairPartition(
      { partition: 5, reason: 'anti-entropy' },
      { deduplicate: true },
    );
    await producer.repairPartition({ partition: 6, reason: 'anti-entropy' }, { deduplicate: true });
    expect(second).toBe(first);
    const counts = await producer.queue(QUEUES.repairPartition).getJobCounts('wait', 'prioritized');
    expect((counts.wait ?? 0) + (counts.prioritized ?? 0)).toBe(2);
    await producer.close();
    connection.disconnect();
  });
});

describe('oldestWaitingAgeMs', () => {
  it('is the age of the oldest job waiting, whatever its priority', async () => {
    const connection = createRedisConnection(redis.url, 'worker');
    const producer = new JobProducer(connection, 'lag');
    const queue = producer.queue(QUEUES.repairPartition);
    expect(await oldestWaitingAgeMs(queue)).toBe(0);
    await queue.add('old', {}, { priority: 8, timestamp: Date.now() - 60_000 });
    await queue.add('new-urgent', {}, { priority: 1 });
    await queue.add('new-plain', {});
    const age = await oldestWaitingAgeMs(queue);
    expect(age).toBeGreaterThanOrEqual(60_000);
    expect(age).toBeLessThan(600_000);
    await producer.close();
    connection.disconnect();
  });
});
