import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRedoubtError } from '@redoubt/errors';
import { rebalance } from '@redoubt/placement';
import { LeaderLease, PlacementStore } from './index.js';
import { matrixOf, ready, testRedis, uniquePrefix, waitFor } from './test-support.js';

let redis: Awaited<ReturnType<typeof testRedis>>;
beforeAll(async () => {
  redis = await testRedis();
});
afterAll(() => redis.stop());

async function store() {
  const connection = redis.connect();
  await ready(connection);
  const prefix = uniquePrefix();
  return { store: new PlacementStore(connection, prefix), connection, prefix };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return isRedoubtError(error) ? error.code : String(error);
  }
}

describe('PlacementStore', () => {
  it('stores an epoch with its addresses and reads back the same matrix', async () => {
    const { store: s } = await store();
    expect(await s.read()).toBeUndefined();
    expect(await s.epoch()).toBe(0);
    const m1 = matrixOf(1);
    await s.publish(m1, {
      nodes: [{ id: 'd1', url: 'http://127.0.0.1:1' }],
      publishedBy: 'm1',
      reason: 'test',
    });
    const read = await s.read();
    expect(read?.matrix.epoch).toBe(1);
    expect(Array.from(read!.matrix.cells)).toEqual(Array.from(m1.cells));
    expect(read?.matrix.servers).toEqual(m1.servers);
    expect(read?.nodes).toEqual([{ id: 'd1', url: 'http://127.0.0.1:1' }]);
    expect(read?.publishedBy).toBe('m1');
    expect(await s.epoch()).toBe(1);
  });

  it('never lets an older or equal epoch replace a newer one', async () => {
    const { store: s } = await store();
    const m1 = matrixOf(1);
    const m2 = rebalance(m1, m1.servers.slice(0, 3));
    await s.publish(m2);
    expect(await codeOf(s.publish(m1))).toBe('PLACEMENT_STALE_EPOCH');
    expect(await codeOf(s.publish(matrixOf(2)))).toBe('PLACEMENT_STALE_EPOCH');
    expect((await s.read())?.matrix.epoch).toBe(2);
  });

  it('compare-and-set: with an expected epoch, exactly one of several concurrent publishers wins', async () => {
    const { store: s } = await store();
    await s.publish(matrixOf(1));
    const candidates = [matrixOf(2, ['d1', 'd2', 'd3']), matrixOf(2, ['d1', 'd2', 'd4']), matrixOf(3)];
    const outcomes = await Promise.all(candidates.map((m) => codeOf(s.publish(m, { expectedEpoch: 1 }))));
    expect(outcomes.filter((o) => o === 'resolved')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'PLACEMENT_STALE_EPOCH')).toHaveLength(2);
  });

  it('refuses a stored matrix that does not match its checksum', async () => {
    const { store: s, connection } = await store();
    await s.publish(matrixOf(1));
    const stored = await connection.hgetBuffer(s.keys.placement, 'matrix');
    stored![stored!.length - 40] ^= 0xff; // a cell, not a length field
    await connection.hset(s.keys.placement, 'matrix', stored!);
    expect(await codeOf(s.read())).toBe('PLACEMENT_CHECKSUM_MISMATCH');
  });

  it('initialize seeds the first epoch once; later callers adopt it', async () => {
    const { store: s } = await store();
    const first = await s.initialize(matrixOf(1, ['d1', 'd2', 'd3']));
    const second = await s.initialize(matrixOf(1, ['d1', 'd2', 'd3', 'd4']));
    expect(first.matrix.servers.map((x) => x.id)).toEqual(['d1', 'd2', 'd3']);
    expect(second.matrix.servers.map((x) => x.id)).toEqual(['d1', 'd2', 'd3']);
  });

  it('fencing: a deposed leader cannot publish once a successor holds the lease', async () => {
    const { store: s, connection, prefix } = await store();
    const old = new LeaderLease({ redis: connection, prefix, id: 'old', ttlMs: 10_000, renewEveryMs: 5_000 });
    await old.start();
    expect(old.isLeader()).toBe(true);
    const oldFence = old.fence()!;
    await s.publish(matrixOf(1), { fence: oldFence });

    // The old leader's lease runs out in Redis while it is stalled (it still holds its token), and a
    // successor is elected.
    await connection.del(s.keys.leaderLease);
    const successor = new LeaderLease({
      redis: redis.connect(),
      prefix,
      id: 'new',
      ttlMs: 1_000,
      renewEveryMs: 100,
    });
    await successor.start();
    await waitFor('the successor to lead', () => successor.isLeader());
    expect(successor.fence()!.token).toBeGreaterThan(oldFence.token);

    expect(await codeOf(s.publish(matrixOf(2), { fence: oldFence }))).toBe('NOT_LEADER');
    await s.publish(matrixOf(2), { fence: successor.fence() });
    expect(await s.epoch()).toBe(2);
    await successor.stop();
    await old.stop();
  });
});
