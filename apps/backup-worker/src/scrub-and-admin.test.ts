import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keysInPartition, waitFor } from '@redoubt/anti-entropy/testing';
import { isRedoubtError } from '@redoubt/errors';
import { ADMIN_KEY, WorkerFixture } from './testing/worker-fixture.js';

let fx: WorkerFixture;
const P = 8;

beforeAll(async () => {
  fx = await WorkerFixture.start({ partitions: P });
});

afterAll(async () => {
  await fx?.stop();
});

const admin = { 'x-redoubt-admin-key': ADMIN_KEY, 'content-type': 'application/json' };

describe('scrub', () => {
  it('finds a record corrupted on disk and replaces it from a good replica; the node never serves it', async () => {
    const keys = keysInPartition(5, P, 30, 'scrub');
    await fx.nodes.writeMany(
      keys.map((key) => fx.nodes.record(key, `${key}=good`)),
      ['d1', 'd2', 'd3'],
    );
    const victim = keys[11]!;
    await fx.nodes.node('d2').client.corruptForTest(5, victim);

    // Reads refuse the damaged record rather than return it.
    const read = await fx.nodes
      .node('d2')
      .client.get(5, victim)
      .catch((error: unknown) => error);
    expect(isRedoubtError(read, 'RECORD_CORRUPT')).toBe(true);

    const res = await fetch(`${fx.url}/admin/scrub`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ node: 'd2' }),
    });
    expect(res.status).toBe(202);

    const healed = await waitFor(
      'd2 to serve the replaced record',
      async () => (await fx.nodes.node('d2').client.get(5, victim))?.value.toString() === `${victim}=good`,
      60_000,
      200,
    );
    expect(healed).toBe(true);
    expect(await fx.metric('redoubt_corrupt_records_found_total', { node: 'd2' })).toBeGreaterThanOrEqual(1);
    expect(await fx.metric('redoubt_records_repaired_total', { queue: 'scrub' })).toBeGreaterThanOrEqual(1);
    expect(await fx.metric('redoubt_corrupt_records_unrecoverable_total')).toBe(0);
  });
});

describe('the worker HTTP surface', () => {
  it('answers health, readiness with details, and metrics without credentials', async () => {
    expect((await fetch(`${fx.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${fx.url}/readyz`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as {
      redis: { answering: boolean; durable: boolean };
      workers: { queue: string }[];
    };
    expect(body.redis).toMatchObject({ answering: true, durable: true });
    expect(body.workers.map((w) => w.queue).sort()).toEqual([
      'rebalance-move',
      'repair-partition',
      'replicate',
      'scrub',
    ]);

    const metrics = await fx.metrics();
    for (const name of [
      'redoubt_queue_jobs',
      'redoubt_queue_oldest_waiting_seconds',
      'redoubt_job_duration_seconds_bucket',
      'redoubt_jobs_finished_total',
      'redoubt_bytes_moved_total',
      'redoubt_records_moved_total',
      'redoubt_worker_stuck',
      'redoubt_redis_up',
      'redoubt_redis_durable',
    ]) {
      expect(metrics, name).toContain(name);
    }
    expect(
      await fx.metric('redoubt_queue_jobs', { queue: 'scrub', state: 'completed' }),
    ).toBeGreaterThanOrEqual(1);
    expect(await fx.metric('redoubt_redis_durable')).toBe(1);
  });

  it('serves Bull Board at /admin/queues only with the admin key (header, Bearer, or Basic password)', async () => {
    const none = await fetch(`${fx.url}/admin/queues`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic/);
    const wrong = await fetch(`${fx.url}/admin/queues`, {
      headers: { authorization: `Basic ${Buffer.from('ops:not-the-key-at-all').toString('base64')}` },
    });
    expect(wrong.status).toBe(403);

    const basic = await fetch(`${fx.url}/admin/queues`, {
      headers: { authorization: `Basic ${Buffer.from(`ops:${ADMIN_KEY}`).toString('base64')}` },
    });
    expect(basic.status).toBe(200);
    expect(await basic.text()).toMatch(/<html/i);

    const api = await fetch(`${fx.url}/admin/queues/api/queues`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(api.status).toBe(200);
    const queues = ((await api.json()) as { queues: { name: string }[] }).queues.map((q) => q.name).sort();
    expect(queues).toEqual(['rebalance-move', 'repair-partition', 'replicate', 'scrub']);

    expect((await fetch(`${fx.url}/admin/status`, { headers: admin })).status).toBe(200);
    expect((await fetch(`${fx.url}/admin/anti-entropy/sweep`, { method: 'POST' })).status).toBe(401);
  });

  it('answers 400 with a JSON error naming the problem to a bad admin body, never a 500', async () => {
    const post = (path: string, body: string) =>
      fetch(`${fx.url}${path}`, {
        method: 'POST',
        headers: { ...admin, 'content-type': 'application/json' },
        body,
      });
    const cases: [string, string, RegExp][] = [
      ['/admin/scrub', '{"node": "d2"', /JSON|Unexpected|Expected/i],
      ['/admin/scrub', '{"node": 7}', /^node: /],
      ['/admin/scrub', '{"node": "d2", "nodes": ["d1"]}', /nodes/],
      ['/admin/anti-entropy/sweep', '{"partitions": [1, -2]}', /^partitions\.1: /],
      ['/admin/anti-entropy/sweep', 'partitions=1', /JSON|Unexpected|Expected/i],
    ];
    for (const [path, body, message] of cases) {
      const res = await post(path, body);
      expect(res.status, `${path} ${body}`).toBe(400);
      const answer = (await res.json()) as { error: { code: string; message: string } };
      expect(answer.error.code).toBe('BODY_INVALID');
      expect(answer.error.message, body).toMatch(message);
    }
  });
});
