import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@redoubt/local-stack';
import type { PlacementMatrix } from '@redoubt/placement';
import { PlacementStore, PlacementSubscriber } from './index.js';
import { matrixOf, ready, testRedis, uniquePrefix, waitFor } from './test-support.js';

let redis: Awaited<ReturnType<typeof testRedis>>;
beforeAll(async () => {
  redis = await testRedis();
});
afterAll(() => redis.stop());

const subscribers: PlacementSubscriber[] = [];
afterAll(() => Promise.all(subscribers.map((s) => s.close())));

async function subscribe(prefix: string, fallback?: PlacementMatrix, url = redis.server.url) {
  const sub = await PlacementSubscriber.start({
    redis: url,
    prefix,
    fallback: fallback ? () => fallback : undefined,
    rereadIntervalMs: 200,
    initialLoadTimeoutMs: 1_000,
  });
  subscribers.push(sub);
  return sub;
}

async function storeFor(prefix: string) {
  const connection = redis.connect();
  await ready(connection);
  return new PlacementStore(connection, prefix);
}

describe('PlacementSubscriber', () => {
  it('uses the fallback while Redis has no epoch, then the published ones as they come', async () => {
    const prefix = uniquePrefix();
    const sub = await subscribe(prefix, matrixOf(1));
    expect(sub.current()?.epoch).toBe(1);
    expect(sub.source()).toBe('fallback');
    expect(sub.redisUp()).toBe(true);

    const seen: number[] = [];
    sub.on('epoch', (m) => seen.push(m.epoch));
    const store = await storeFor(prefix);
    await store.publish(matrixOf(1));
    await waitFor('the stored epoch 1 to replace the fallback', () => sub.source() === 'redis');
    await store.publish(matrixOf(2, ['d1', 'd2', 'd3']), {
      nodes: [{ id: 'd1', url: 'http://127.0.0.1:9' }],
    });
    await waitFor('epoch 2', () => sub.epoch() === 2);
    expect(sub.current()?.servers.map((s) => s.id)).toEqual(['d1', 'd2', 'd3']);
    expect(sub.nodes()).toEqual([{ id: 'd1', url: 'http://127.0.0.1:9' }]);
    expect(seen).toEqual([2]);
  });

  it('loads the current epoch at start and ignores nothing-newer re-reads', async () => {
    const prefix = uniquePrefix();
    const store = await storeFor(prefix);
    await store.publish(matrixOf(5));
    const sub = await subscribe(prefix, matrixOf(1));
    expect(sub.epoch()).toBe(5);
    expect(sub.source()).toBe('redis');
    let events = 0;
    sub.on('epoch', () => (events += 1));
    expect(await sub.refresh()).toBe(false);
    expect(events).toBe(0);
  });

  it('starts with the fallback when Redis cannot be reached', async () => {
    const nowhere = `redis://127.0.0.1:${await freePort()}`;
    const sub = await subscribe(uniquePrefix(), matrixOf(1), nowhere);
    expect(sub.current()?.epoch).toBe(1);
    expect(sub.source()).toBe('fallback');
    expect(sub.redisUp()).toBe(false);
  });

  it('keeps the last epoch while Redis is down and catches up when it is back', async () => {
    const prefix = uniquePrefix();
    const store = await storeFor(prefix);
    await store.publish(matrixOf(3));
    const sub = await subscribe(prefix, matrixOf(1));
    expect(sub.epoch()).toBe(3);

    await redis.server.kill();
    await waitFor('the subscriber to notice Redis is down', () => !sub.redisUp());
    expect(sub.epoch()).toBe(3);
    expect(sub.current()?.epoch).toBe(3);

    await redis.server.restart();
    // A monitor publishes while this subscriber may still be reconnecting: the re-read catches it.
    const again = await storeFor(prefix);
    await waitFor('the store to reach the restarted Redis', () => again.epoch().then(() => true));
    await again.publish(matrixOf(4));
    await waitFor('epoch 4 after Redis came back', () => sub.epoch() === 4);
    expect(sub.redisUp()).toBe(true);
  });

  it('ignores a stored epoch that fails its checksum and keeps the current one', async () => {
    const prefix = uniquePrefix();
    const store = await storeFor(prefix);
    await store.publish(matrixOf(1));
    const sub = await subscribe(prefix);
    expect(sub.epoch()).toBe(1);
    const connection = redis.connect();
    await ready(connection);
    await store.publish(matrixOf(2));
    const stored = await connection.hgetBuffer(store.keys.placement, 'matrix');
    stored![stored!.length - 40] ^= 0xff;
    await connection.hset(store.keys.placement, 'matrix', stored!);
    await sub.refresh();
    // Whether it saw epoch 2 before the damage or not, it never adopts a damaged one.
    expect([1, 2]).toContain(sub.epoch());
    const epochBefore = sub.epoch();
    await sub.refresh();
    expect(sub.epoch()).toBe(epochBefore);
  });
});
