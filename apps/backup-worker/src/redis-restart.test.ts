import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@redoubt/anti-entropy/testing';
import { createRedisConnection, JobProducer } from '@redoubt/queues';
import { WorkerFixture } from './testing/worker-fixture.js';

let fx: WorkerFixture;

beforeAll(async () => {
  fx = await WorkerFixture.start({
    partitions: 8,
    env: { REDIS_STALE_MS: '2000', WATCHDOG_STUCK_MS: '5000' },
  });
});

afterAll(async () => {
  await fx?.stop();
});

describe('Redis killed and restarted during a stream of handoff jobs', () => {
  it('the worker resumes by itself: jobs enqueued after the restart are processed and /readyz is 200 again', async () => {
    // A gateway-like producer: fail-fast connection, a handoff that cannot be enqueued is simply dropped.
    const connection = createRedisConnection(fx.redis.url, 'request-path');
    connection.on('error', () => undefined);
    const producer = new JobProducer(connection, 'itest');
    const d3 = fx.nodes.node('d3').client;
    let sequence = 0;
    const state = { phase: 'before' as 'before' | 'outage' | 'after' };
    const enqueued = { before: [] as string[], after: [] as string[] };
    let stop = false;

    const stream = (async () => {
      while (!stop) {
        const key = `stream-${sequence++}`;
        const record = fx.nodes.record(key, `value of ${key}`);
        const partition = fx.nodes.partitionOf(key);
        await fx.nodes.write(record, ['d1', 'd2']);
        const at = state.phase;
        try {
          await producer.replicate({
            key,
            partition,
            version: record.version,
            targets: ['d3'],
            sources: ['d1', 'd2'],
            reason: 'handoff',
            epoch: 1,
          });
          if (at !== 'outage') enqueued[at].push(key);
        } catch {
          // Redis is away: the gateway would drop (or buffer) the handoff; anti-entropy covers it later.
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    const onD3 = async (keys: string[]) => {
      for (const key of keys) if (!(await d3.get(fx.nodes.partitionOf(key), key))) return false;
      return true;
    };
    await waitFor(
      'handoffs to flow before the outage',
      async () => enqueued.before.length >= 20 && (await onD3(enqueued.before.slice(0, 20))),
      60_000,
      200,
    );

    state.phase = 'outage';
    await fx.redis.kill();
    const killedAt = Date.now();
    await waitFor('/readyz to report the outage', async () => (await fx.readyzStatus()) === 503, 30_000, 200);
    // Keep Redis away longer than a worker's blocking wait (drainDelay 5 s + 1 s): the outage length after
    // which BullMQ workers have been seen to never resume (bullmq#4585).
    await new Promise((r) => setTimeout(r, Math.max(0, killedAt + 8_000 - Date.now())));
    await fx.redis.restart();
    state.phase = 'after';

    await waitFor('/readyz to be 200 again', async () => (await fx.readyzStatus()) === 200, 60_000, 200);
    await waitFor('30 handoffs enqueued after the restart', () => enqueued.after.length >= 30, 60_000, 100);
    stop = true;
    await stream;
    await waitFor(
      'every handoff enqueued after the restart to reach d3',
      () => onD3(enqueued.after),
      60_000,
      250,
    );
    expect(fx.worker.running()).toBe(true);

    await producer.close();
    connection.disconnect();
  });
});
