import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlacementMatrix } from '@redoubt/placement';
import { followPlacement, PlacementStore, type NodeAddress } from './index.js';
import { matrixOf, ready, testRedis, uniquePrefix, waitFor } from './test-support.js';

let redis: Awaited<ReturnType<typeof testRedis>>;
beforeAll(async () => {
  redis = await testRedis();
});
afterAll(() => redis.stop());

/** A stand-in for a ClusterMap: records what it was switched to. */
function recordingTarget(epoch: number) {
  const seen: { epoch: number; nodes: readonly NodeAddress[] }[] = [];
  const target = {
    epoch,
    update(matrix: PlacementMatrix, nodes?: readonly NodeAddress[]) {
      target.epoch = matrix.epoch;
      seen.push({ epoch: matrix.epoch, nodes: nodes ?? [] });
    },
  };
  return { target, seen };
}

describe('followPlacement', () => {
  it('switches every target to each newer published epoch, merging published node addresses over configured ones', async () => {
    const prefix = uniquePrefix();
    const a = recordingTarget(1);
    const b = recordingTarget(1);
    const follower = followPlacement([a.target, b.target], {
      redis: redis.server.url,
      prefix,
      fallback: () => matrixOf(1),
      rereadIntervalMs: 200,
      initialLoadTimeoutMs: 1_000,
      configuredNodes: [
        { id: 'd1', url: 'http://127.0.0.1:1' },
        { id: 'd2', url: 'http://127.0.0.1:2' },
      ],
    });
    const connection = redis.connect();
    await ready(connection);
    const store = new PlacementStore(connection, prefix);
    await store.publish(matrixOf(2), { nodes: [{ id: 'd2', url: 'http://127.0.0.1:22' }] });
    await waitFor('both targets on epoch 2', () => a.target.epoch === 2 && b.target.epoch === 2);
    expect(a.seen.at(-1)?.nodes).toEqual([
      { id: 'd1', url: 'http://127.0.0.1:1' },
      { id: 'd2', url: 'http://127.0.0.1:22' },
    ]);
    await follower.close();
    connection.disconnect();
  });

  it('never moves a target back to an older epoch and does not block when Redis is unreachable', async () => {
    const ahead = recordingTarget(7);
    const follower = followPlacement([ahead.target], {
      redis: 'redis://127.0.0.1:1',
      prefix: uniquePrefix(),
      fallback: () => matrixOf(1),
      initialLoadTimeoutMs: 300,
      configuredNodes: [],
    });
    await waitFor('the subscriber to settle on its fallback', () => follower.subscriber() !== undefined);
    expect(ahead.target.epoch).toBe(7);
    expect(ahead.seen).toEqual([]);
    await follower.close();
  });
});
