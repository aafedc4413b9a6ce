import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { startTempRedisServer, type TempRedisServer } from '@redoubt/local-stack';
import { createRedisConnection, JobProducer, QUEUES } from '@redoubt/queues';
import type { Redis } from 'ioredis';
import { readPendingMoves, unfilledKey } from './index.js';

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

let redis: TempRedisServer;
let connection: Redis;
let producer: JobProducer;
let queue: Queue;

beforeAll(async () => {
  redis = await startTempRedisServer('redoubt-pending-');
  connection = createRedisConnection(redis.url, 'worker');
  producer = new JobProducer(connection, 'pm');
  queue = new Queue(QUEUES.rebalanceMove, { connection, prefix: 'pm' });
});

afterAll(async () => {
  await producer.close();
  await queue.close();
  connection.disconnect();
  await redis.dispose();
});

describe('readPendingMoves', () => {
  it('lists the replicas still to fill, per old owner and per epoch, and the failed moves of the current epoch', async () => {
    expect((await readPendingMoves(queue, 2)).pending).toBe(0);
    await producer.rebalanceMove(
      { partition: 1, from: null, to: 'd1', keep: ['d2', 'd3'], fromEpoch: 1, toEpoch: 2 },
      2,
    );
    await producer.rebalanceMove(
      { partition: 2, from: 'd4', to: 'd2', keep: ['d1', 'd3'], fromEpoch: 1, toEpoch: 2 },
      5,
    );
    await producer.rebalanceMove(
      { partition: 3, from: 'd4', to: 'd1', keep: ['d2', 'd3'], fromEpoch: 2, toEpoch: 3 },
      5,
    );
    // The same move again is the same job (deterministic id).
    await producer.rebalanceMove(
      { partition: 1, from: null, to: 'd1', keep: ['d2', 'd3'], fromEpoch: 1, toEpoch: 2 },
      2,
    );
    const snapshot = await readPendingMoves(queue, 3);
    expect(snapshot.pending).toBe(3);
    expect([...snapshot.unfilled].sort()).toEqual(
      [unfilledKey(1, 'd1'), unfilledKey(2, 'd2'), unfilledKey(3, 'd1')].sort(),
    );
    expect(snapshot.fromCounts.get('d4')).toBe(2);
    expect(Object.fromEntries(snapshot.byEpoch)).toEqual({ 2: 2, 3: 1 });
    expect(snapshot.failed).toBe(0);

    // A worker runs them: the epoch-2 moves complete, the epoch-3 one fails for good.
    const workerConnection = createRedisConnection(redis.url, 'worker');
    const worker = new Worker(
      QUEUES.rebalanceMove,
      async (job) => {
        if (job.data.toEpoch === 3) throw new UnrecoverableError('the target refused');
      },
      { connection: workerConnection, prefix: 'pm' },
    );
    await waitUntil(async () => (await queue.getJobCounts('failed', 'completed')).completed === 2);
    await waitUntil(async () => (await queue.getJobCounts('failed')).failed === 1);
    await worker.close();
    workerConnection.disconnect();
    const after = await readPendingMoves(queue, 3);
    expect(after.pending).toBe(0);
    expect(after.failed).toBe(1);
    expect(after.unfilled.has(unfilledKey(3, 'd1'))).toBe(true);
  });
});
