import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DownstreamBreaker } from '@redoubt/circuit-breakers';
import { startTempRedisServer, type TempRedisServer } from '@redoubt/local-stack';
import {
  createRedisConnection,
  JobProducer,
  QUEUES,
  replicateJobId,
  type ReplicateJob,
} from '@redoubt/queues';
import { HandoffBuffer, ReplicateQueue, type HandoffEvent } from './index.js';

let redis: TempRedisServer;

beforeAll(async () => {
  redis = await startTempRedisServer('redoubt-handoff-');
});

afterAll(() => redis?.dispose());

const job = (n: number): ReplicateJob => ({
  key: `key-${n}`,
  partition: n % 64,
  version: `${(1_000_000 + n).toString(16).padStart(12, '0')}.0000.gw1`,
  targets: ['d3'],
  sources: ['d1', 'd2'],
  reason: 'handoff',
  epoch: 1,
});

async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met before the deadline');
    await new Promise((r) => setTimeout(r, 50));
  }
}

function setup(prefix: string, capacity = 100) {
  const connection = createRedisConnection(redis.url, 'request-path');
  connection.on('error', () => undefined);
  const producer = new JobProducer(connection, prefix); // to inspect the queue
  const breaker = new DownstreamBreaker('redis', {
    timeoutMs: 1_000,
    timeoutCode: 'QUEUE_UNAVAILABLE',
    resetTimeoutMs: 200,
  });
  const queue = new ReplicateQueue(connection, breaker, prefix);
  const events: Record<HandoffEvent, number> = { queued: 0, failed: 0, dropped: 0 };
  const buffer = new HandoffBuffer({
    enqueue: (j) => queue.replicate(j),
    capacity,
    retryDelayMs: 100,
    onEvent: (e) => (events[e] += 1),
  });
  const queued = async () => {
    const counts = await producer.queue(QUEUES.replicate).getJobCounts('waiting', 'prioritized', 'delayed');
    return (counts.waiting ?? 0) + (counts.prioritized ?? 0) + (counts.delayed ?? 0);
  };
  const close = async () => {
    await buffer.close(500);
    await queue.close();
    await producer.close();
    connection.disconnect();
    breaker.shutdown();
  };
  return { connection, producer, buffer, events, queued, close };
}

describe('HandoffBuffer', () => {
  it('puts each job on the replicate queue once, under its idempotent id', async () => {
    const s = setup('handoff-basic');
    await eventually(() => s.connection.status === 'ready');
    s.buffer.submit(job(1));
    s.buffer.submit(job(1)); // a retried request or a second gateway: same key and version
    s.buffer.submit(job(2));
    expect(await s.buffer.idle(10_000)).toBe(true);
    expect(s.events.queued).toBe(3);
    expect(await s.queued()).toBe(2);
    const stored = await s.producer.queue(QUEUES.replicate).getJob(replicateJobId('key-1', job(1).version));
    expect(stored?.data).toEqual(job(1));
    await s.close();
  });

  it('returns at once while Redis is down, keeps the jobs, and delivers them when Redis is back', async () => {
    const s = setup('handoff-outage');
    await eventually(() => s.connection.status === 'ready');
    await redis.kill();
    for (let i = 0; i < 5; i++) s.buffer.submit(job(100 + i)); // never blocks: submit is synchronous
    await eventually(() => s.events.failed > 0);
    expect(s.buffer.size()).toBe(5);
    await redis.restart();
    await eventually(() => s.events.queued === 5, 30_000);
    expect(await s.queued()).toBe(5);
    expect(s.events.dropped).toBe(0);
    await s.close();
  });

  it('drops the oldest jobs beyond its capacity, counting them', async () => {
    const s = setup('handoff-full', 3);
    await eventually(() => s.connection.status === 'ready');
    await redis.kill();
    for (let i = 0; i < 10; i++) s.buffer.submit(job(200 + i));
    await eventually(() => s.events.dropped >= 7);
    expect(s.buffer.size()).toBeLessThanOrEqual(3);
    await redis.restart();
    await eventually(() => s.buffer.size() === 0, 30_000);
    expect(s.events.queued).toBe(3);
    // the newest survived
    const newest = await s.producer
      .queue(QUEUES.replicate)
      .getJob(replicateJobId('key-209', job(209).version));
    expect(newest).toBeDefined();
    await s.close();
  });

  it('drops a malformed job instead of retrying it forever', async () => {
    const s = setup('handoff-invalid');
    s.buffer.submit({ ...job(300), version: 'not-a-version' });
    await eventually(() => s.events.dropped === 1);
    expect(s.buffer.size()).toBe(0);
    await s.close();
  });
});
