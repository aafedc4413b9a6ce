import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { DataNodeClient } from '@redoubt/cluster-client';
import { createRedisConnection, QUEUES, replicateJobId, type ReplicateJob } from '@redoubt/queues';
import { eventually, TestCluster } from './testing/test-cluster.js';

let cluster: TestCluster;
let connection: Redis;
let queue: Queue;

beforeAll(async () => {
  cluster = await TestCluster.start({ worker: true });
  connection = createRedisConnection(cluster.redis.url, 'worker');
  connection.on('error', () => undefined);
  queue = new Queue(QUEUES.replicate, { connection, prefix: cluster.queuePrefix });
  queue.on('error', () => undefined);
});

afterAll(async () => {
  await queue?.close();
  connection?.disconnect();
  await cluster?.stop();
});

/** `count` keys that have `node` among their replicas (so a fault on `node` affects each of them). */
function keysOn(node: string, count: number, prefix: string): string[] {
  const keys: string[] = [];
  for (let i = 0; keys.length < count; i++) {
    const key = `${prefix}-${i}`;
    if (cluster.replicasOfKey(key).includes(node)) keys.push(key);
  }
  return keys;
}

const etagOf = (res: Response) => res.headers.get('etag')!.replaceAll('"', '');

/** The version a data node holds for a key, read from the node directly (null: none). */
async function versionOn(node: string, key: string): Promise<string | null> {
  const client = new DataNodeClient({
    id: node,
    url: cluster.nodeUrl(node),
    clusterToken: cluster.clusterToken,
  });
  try {
    return (await client.get(cluster.partitionOfKey(key), key))?.version ?? null;
  } finally {
    await client.close();
  }
}

describe('a data node killed with SIGKILL', () => {
  it('keeps acknowledged writes readable, keeps serving, and the handoff brings the node up to date', async () => {
    const key = 'survivor';
    const put = await cluster.put(key, 'acknowledged');
    expect(put.status).toBe(201);
    const [victim] = cluster.replicasOfKey(key) as [string];
    await cluster.node(victim).kill();

    const read = await cluster.get(key);
    expect(read.status).toBe(200);
    expect(await read.text()).toBe('acknowledged');

    // writes and reads go on while it is down
    const written = new Map<string, string>();
    for (const k of keysOn(victim, 15, 'while-down')) {
      const res = await cluster.put(k, `value of ${k}`);
      expect(res.status, k).toBe(201);
      written.set(k, etagOf(res));
    }
    for (const k of written.keys()) {
      const res = await cluster.get(k);
      expect(res.status, k).toBe(200);
      expect(await res.text()).toBe(`value of ${k}`);
    }

    // each write that missed the victim was handed off: one job per (key, version), targeting the victim
    for (const [k, version] of written) {
      const job = await eventually(`handoff job for ${k}`, () => queue.getJob(replicateJobId(k, version)));
      const data = job.data as ReplicateJob;
      expect(data).toMatchObject({ key: k, version, targets: [victim], reason: 'handoff', epoch: 1 });
      expect([...data.sources].sort()).toEqual(
        cluster
          .replicasOfKey(k)
          .filter((id) => id !== victim)
          .sort(),
      );
    }

    // it comes back; the backup-worker replays the handoffs onto it
    await cluster.node(victim).start();
    for (const [k, version] of written) {
      await eventually(
        `${victim} holds ${k}@${version}`,
        async () => (await versionOn(victim, k)) === version,
        120_000,
        250,
      );
    }
  });
});

describe('a data node that stops answering (SIGSTOP)', () => {
  it('opens its breaker while requests keep succeeding through the others, and closes it after SIGCONT', async () => {
    const victim = 'd2';
    const keys = keysOn(victim, 40, 'paused');
    let i = 0;
    const failures: string[] = [];
    /** One PUT and one GET of a key that has the paused node as a replica; records anything but success. */
    const exercise = async () => {
      const key = keys[i++ % keys.length]!;
      const put = await cluster.put(key, `v${i}`);
      if (put.status !== 201) failures.push(`PUT ${key}: ${put.status} ${await put.text()}`);
      const get = await cluster.get(key);
      if (get.status !== 200) failures.push(`GET ${key}: ${get.status} ${await get.text()}`);
    };
    const breakerState = async () => (await cluster.adminStatus()).breakers[victim];

    for (let n = 0; n < 5; n++) await exercise();
    cluster.node(victim).pause();
    try {
      await eventually(
        'the breaker of the paused node opens',
        async () => {
          await Promise.all([exercise(), exercise()]);
          return (await breakerState()) === 'open';
        },
        90_000,
        0,
      );
      for (let n = 0; n < 10; n++) await exercise(); // served while the breaker is open
      expect(await cluster.metric('redoubt_breaker_state', { downstream: victim })).toBeGreaterThan(0);
      const ready = await fetch(`${cluster.gatewayUrl}/readyz`);
      expect(ready.status).toBe(200); // two of three nodes still meet W = 2
    } finally {
      cluster.node(victim).resume();
    }
    await eventually(
      'the breaker closes after the node answers again',
      async () => {
        await exercise();
        return (await breakerState()) === 'closed';
      },
      60_000,
      100,
    );
    expect(failures).toEqual([]);
  });
});

describe('Redis killed', () => {
  it('still acknowledges writes that W data nodes confirmed, buffers the handoffs, and queues them once Redis is back', async () => {
    await cluster.redis.kill();
    let redisUp = false;
    try {
      const put = await cluster.put('no-redis', 'still works');
      expect(put.status).toBe(201);
      expect(await (await cluster.get('no-redis')).text()).toBe('still works');

      // a node down as well: the write still has W = 2 acks; its handoff cannot reach Redis
      const victim = 'd3';
      const [key] = keysOn(victim, 1, 'no-redis-handoff') as [string];
      await cluster.node(victim).kill();
      const handedOff = await cluster.put(key, 'needs a handoff');
      expect(handedOff.status).toBe(201);
      const version = etagOf(handedOff);
      await eventually(
        'the failed handoff is counted',
        async () => (await cluster.metric('redoubt_handoffs_total', { outcome: 'failed' })) > 0,
      );
      expect((await cluster.adminStatus()).handoffBacklog).toBeGreaterThan(0);

      await cluster.redis.restart();
      redisUp = true;
      const job = await eventually(
        'the buffered handoff reaches the queue',
        () => queue.getJob(replicateJobId(key, version)),
        60_000,
        250,
      );
      expect(job.data).toMatchObject({ key, version, targets: [victim] });
      await cluster.node(victim).start();
      await eventually(
        `${victim} holds ${key}`,
        async () => (await versionOn(victim, key)) === version,
        120_000,
        250,
      );
    } finally {
      if (!redisUp) await cluster.redis.restart();
      await cluster.node('d3').start();
    }
  });
});
