import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { startRedisServer, startTempRedisServer, type TempRedisServer } from '@redoubt/local-stack';
import { createRedisConnection, JobProducer, QUEUES, replicateJobId, type ReplicateJob } from './index.js';

let redis: TempRedisServer;

beforeAll(async () => {
  redis = await startTempRedisServer('redoubt-queues-');
});

afterAll(() => redis?.dispose());

const job: ReplicateJob = {
  key: 'user:42',
  partition: 7,
  version: '0000000003e8.0000.gw1',
  targets: ['d3'],
  sources: ['d1', 'd2'],
  reason: 'handoff',
  epoch: 1,
};

describe('JobProducer', () => {
  it('enqueues a replicate job once however often it is added (idempotent id from key and version)', async () => {
    const connection = createRedisConnection(redis.url, 'request-path');
    const producer = new JobProducer(connection, 'test-idempotent');
    const first = await producer.replicate(job);
    const second = await producer.replicate(job);
    expect(first).toBe(replicateJobId(job.key, job.version));
    expect(second).toBe(first);
    const counts = await producer.queue(QUEUES.replicate).getJobCounts('waiting', 'prioritized', 'delayed');
    expect(counts.waiting! + counts.prioritized! + counts.delayed!).toBe(1);
    await producer.close();
    connection.disconnect();
  });

  it('rejects malformed jobs before they reach Redis', async () => {
    const connection = createRedisConnection(redis.url, 'request-path');
    const producer = new JobProducer(connection, 'test-invalid');
    await expect(producer.replicate({ ...job, version: 'nope' })).rejects.toThrow(/malformed version/);
    await producer.close();
    connection.disconnect();
  });

  it('fails fast with QUEUE_UNAVAILABLE when Redis is down instead of waiting', async () => {
    const down = await startRedisServer({ dir: join(redis.dir, 'down') });
    const connection = createRedisConnection(down.url, 'request-path');
    const producer = new JobProducer(connection, 'test-down');
    await producer.replicate(job); // connected and working
    await down.kill();
    const started = Date.now();
    await expect(producer.replicate({ ...job, version: '0000000003e9.0000.gw1' })).rejects.toMatchObject({
      code: 'QUEUE_UNAVAILABLE',
    });
    expect(Date.now() - started).toBeLessThan(5_000); // bounded, not a timing benchmark: it must not hang
    await producer.close();
    connection.disconnect();
  });
});
