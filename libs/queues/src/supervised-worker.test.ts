import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { startTempRedisServer, type TempRedisServer } from '@redoubt/local-stack';
import { createLogger } from '@redoubt/telemetry';
import { createRedisConnection, SupervisedWorker } from './index.js';
import { FaultProxy } from './testing/fault-proxy.js';

let redis: TempRedisServer;
const logger = createLogger('queues-test', 'silent');

beforeAll(async () => {
  redis = await startTempRedisServer('redoubt-supervised-');
});

afterAll(() => redis?.dispose());

async function waitFor<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function producerQueue(name: string, prefix: string) {
  const connection = createRedisConnection(redis.url, 'worker');
  const queue = new Queue(name, { connection, prefix });
  return { queue, close: async () => (await queue.close(), connection.disconnect()) };
}

describe('SupervisedWorker', () => {
  it('processes jobs and reports them as completed', async () => {
    const prefix = 'sw-basic';
    const done: string[] = [];
    const supervisor = new SupervisedWorker<{ n: number }, number>({
      queue: 'basic',
      redis: redis.url,
      prefix,
      concurrency: 2,
      logger,
      processor: async (job) => job.data.n * 2,
      onGiveUp: () => undefined,
      events: { completed: (job) => done.push(job.id!) },
    });
    supervisor.start();
    const { queue, close } = producerQueue('basic', prefix);
    await queue.addBulk([1, 2, 3].map((n) => ({ name: 'double', data: { n }, opts: { jobId: `j${n}` } })));
    await waitFor('three completions', () => done.length === 3);
    expect(done.sort()).toEqual(['j1', 'j2', 'j3']);
    expect(supervisor.health()).toMatchObject({ running: true, stuck: false, inFlight: 0 });
    await supervisor.close();
    await close();
  });

  it('reports retried attempts, then the final failure, and leaves the job visible in failed', async () => {
    const prefix = 'sw-fail';
    const failures: boolean[] = [];
    const supervisor = new SupervisedWorker({
      queue: 'fail',
      redis: redis.url,
      prefix,
      concurrency: 1,
      logger,
      processor: async () => {
        throw new Error('data node down');
      },
      onGiveUp: () => undefined,
      events: { failed: (_job, _error, final) => failures.push(final) },
    });
    supervisor.start();
    const { queue, close } = producerQueue('fail', prefix);
    await queue.add(
      'x',
      {},
      { jobId: 'doomed', attempts: 3, backoff: { type: 'exponential', delay: 10, jitter: 0.5 } },
    );
    await waitFor('three attempts', () => failures.length === 3);
    expect(failures).toEqual([false, false, true]);
    expect(await queue.getJobState('doomed')).toBe('failed');
    await supervisor.close();
    await close();
  });

  it('recreates a worker whose loop stopped', async () => {
    const prefix = 'sw-loop';
    const done: number[] = [];
    const recreated: string[] = [];
    const supervisor = new SupervisedWorker<{ n: number }, void>({
      queue: 'loop',
      redis: redis.url,
      prefix,
      concurrency: 1,
      logger,
      processor: async (job) => void done.push(job.data.n),
      watchdog: { intervalMs: 200, stuckAfterMs: 1_000 },
      onGiveUp: () => undefined,
      events: { recreated: (reason) => recreated.push(reason) },
    });
    supervisor.start();
    const { queue, close } = producerQueue('loop', prefix);
    await queue.add('n', { n: 1 });
    await waitFor('first job', () => done.length === 1);
    await supervisor.current()!.pause(true); // the fetch loop ends
    await queue.add('n', { n: 2 });
    await waitFor('the watchdog to recreate the worker', () => recreated.length >= 1);
    await waitFor('the waiting job to run on the new worker', () => done.includes(2));
    expect(recreated[0]).toMatch(/not running/);
    await supervisor.close();
    await close();
  });

  it('recreates a worker that looks alive but stopped consuming (black-holed connection) while Redis answers', async () => {
    const prefix = 'sw-wedge';
    const proxy = new FaultProxy(redis.port);
    await proxy.start();
    const done: number[] = [];
    const recreated: string[] = [];
    let doneWhenRecreated: number[] | undefined;
    const supervisor = new SupervisedWorker<{ n: number }, void>({
      queue: 'wedge',
      redis: redis.url,
      // the worker goes through the proxy; the watchdog's probe talks to Redis directly
      connect: (purpose) => createRedisConnection(purpose === 'worker' ? proxy.url : redis.url, 'worker'),
      prefix,
      concurrency: 1,
      drainDelaySeconds: 1,
      logger,
      processor: async (job) => void done.push(job.data.n),
      watchdog: { intervalMs: 200, stuckAfterMs: 1_500 },
      onGiveUp: () => undefined,
      events: {
        recreated: (reason) => {
          recreated.push(reason);
          doneWhenRecreated ??= [...done];
          proxy.heal(); // the network is fine again for new connections; the old sockets stay dead
        },
      },
    });
    supervisor.start();
    const { queue, close } = producerQueue('wedge', prefix);
    await queue.add('n', { n: 1 });
    await waitFor('first job', () => done.length === 1);

    proxy.blackhole();
    await queue.add('n', { n: 2 });
    await waitFor('the watchdog to recreate the worker', () => recreated.length >= 1);
    expect(doneWhenRecreated).not.toContain(2); // nothing ran through the dead connection
    await waitFor('the waiting job to run on the new worker', () => done.includes(2));
    expect(recreated[0]).toMatch(/nothing picked up/);
    expect(supervisor.health()).toMatchObject({ running: true, stuck: false });
    await supervisor.close();
    await close();
    await proxy.stop();
  });

  it('leaves a worker alone when the queue is paused on purpose', async () => {
    const prefix = 'sw-paused';
    const recreated: string[] = [];
    const supervisor = new SupervisedWorker({
      queue: 'paused',
      redis: redis.url,
      prefix,
      concurrency: 1,
      logger,
      processor: async () => undefined,
      watchdog: { intervalMs: 100, stuckAfterMs: 300 },
      onGiveUp: () => undefined,
      events: { recreated: (reason) => recreated.push(reason) },
    });
    supervisor.start();
    const { queue, close } = producerQueue('paused', prefix);
    await queue.pause();
    await queue.add('n', {});
    // Several watchdog passes past the stuck threshold: counted by the watchdog's own checks, not by sleep.
    const passes = async (n: number) => {
      for (let i = 0; i < n; i++) await supervisor.check();
    };
    await waitFor('backlog seen', async () => (await passes(1), supervisor.health().backlog === 1));
    const until = Date.now() + 1_000;
    await waitFor('time past the threshold', async () => (await passes(1), Date.now() > until));
    expect(recreated).toEqual([]);
    expect(supervisor.health().stuck).toBe(false);
    await queue.resume();
    await supervisor.close();
    await close();
  });

  it('gives up (so the process can exit and be restarted) when recreating does not help', async () => {
    const prefix = 'sw-giveup';
    const gaveUp: string[] = [];
    const supervisor: SupervisedWorker = new SupervisedWorker<unknown, unknown>({
      queue: 'giveup',
      redis: redis.url,
      prefix,
      concurrency: 1,
      logger,
      processor: async () => undefined,
      watchdog: { intervalMs: 100, stuckAfterMs: 300, maxRecreations: 2 },
      onGiveUp: (reason) => gaveUp.push(reason),
      events: {
        // every new worker is wedged again at once
        recreated: () => setImmediate(() => void supervisor.current()?.pause(true)),
      },
    });
    supervisor.start();
    await supervisor.current()!.pause(true);
    const { queue, close } = producerQueue('giveup', prefix);
    await queue.add('n', {});
    await waitFor('give up', () => gaveUp.length >= 1);
    expect(supervisor.generation).toBe(2);
    expect(gaveUp[0]).toMatch(/still stuck after 2 recreations/);
    await supervisor.close();
    await close();
  });
});
