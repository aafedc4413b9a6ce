import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventLog, NodeRegistry, type RecoveryEvent } from './index.js';
import { ready, testRedis, uniquePrefix } from './test-support.js';

let redis: Awaited<ReturnType<typeof testRedis>>;
beforeAll(async () => {
  redis = await testRedis();
});
afterAll(() => redis.stop());

function event(id: string, detectedAt: number): RecoveryEvent {
  return {
    id,
    target: 'd1',
    kind: 'data',
    fault: 'down',
    cause: 'connection refused',
    lastOkAt: detectedAt - 100,
    detectedAt,
    recoveredAt: null,
    timeToDetectMs: 100,
    timeToRecoverMs: null,
    status: 'open',
    actions: [],
    epochs: [],
    monitor: 'm1',
  };
}

describe('EventLog', () => {
  it('keeps the newest events up to its bound, newest first, and updates an event in place', async () => {
    const connection = redis.connect();
    await ready(connection);
    const log = new EventLog(connection, uniquePrefix(), 5);
    for (let i = 1; i <= 8; i++) await log.save(event(`e${i}`, 1_000 + i));
    const recent = await log.recent(10);
    expect(recent.map((e) => e.id)).toEqual(['e8', 'e7', 'e6', 'e5', 'e4']);
    expect(await connection.hlen(log.keys.events)).toBe(5);

    await log.save({ ...event('e6', 1_006), status: 'recovered', recoveredAt: 2_000, timeToRecoverMs: 900 });
    const updated = (await log.recent(10)).find((e) => e.id === 'e6');
    expect(updated).toMatchObject({ status: 'recovered', recoveredAt: 2_000 });
    expect((await log.recent(2)).map((e) => e.id)).toEqual(['e8', 'e7']);
  });
});

describe('NodeRegistry', () => {
  it('stores node records and announces changes', async () => {
    const connection = redis.connect();
    await ready(connection);
    const prefix = uniquePrefix();
    const registry = new NodeRegistry(connection, prefix);
    const listener = redis.connect();
    await ready(listener);
    const seen: string[] = [];
    await listener.subscribe(registry.keys.membershipChannel);
    listener.on('message', (_channel, id) => seen.push(id));
    const base = {
      url: 'http://127.0.0.1:1',
      zone: 'z',
      weight: 1,
      health: 'up' as const,
      since: 1,
      updatedAt: 1,
    };
    await registry.putNode({ ...base, id: 'd2', state: 'active' });
    await registry.putNode({ ...base, id: 'd10', state: 'joining' });
    await registry.putNode({ ...base, id: 'd1', state: 'active' });
    expect((await registry.nodes()).map((n) => n.id)).toEqual(['d1', 'd2', 'd10']);
    await registry.removeNode('d10');
    expect(await registry.node('d10')).toBeUndefined();
    await registry.putServices([
      { name: 'gw-1', kind: 'gateway', url: 'http://x', health: 'down', since: 2, lastOkAt: 1, updatedAt: 2 },
    ]);
    expect((await registry.services())[0]).toMatchObject({ name: 'gw-1', health: 'down' });
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual(['d2', 'd10', 'd1', 'd10']);
  });
});
