import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlacementMatrix } from '@redoubt/placement';
import type { RecoveryEvent } from '@redoubt/membership';
import { MonitorFixture, waitFor } from './testing/monitor-fixture.js';

/**
 * A data node that cannot come back: after the grace period its partitions are re-placed on the others
 * and rebuilt by the backup-worker's move jobs until every partition has R equal replicas again, with
 * every acknowledged write on all of them. When the node returns, it is placed again (rebalanced back in).
 */
let cluster: MonitorFixture;
const acked = new Map<string, string>();

beforeAll(async () => {
  cluster = await MonitorFixture.start({
    dataNodes: 4,
    gateway: true,
    worker: true,
    monitorEnv: { DEAD_AFTER_MS: '3000' },
  });
});
afterAll(() => cluster?.stop());

async function writeKeys(prefix: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const key = `${prefix}-${i}`;
    const value = `value of ${key} ${Date.now()}`;
    if (await cluster.put(key, value)) acked.set(key, value);
  }
}

/** Every partition has R equal replicas in the monitor's current placement (which must be `epoch`). */
async function converged(epoch: number): Promise<PlacementMatrix | undefined> {
  const status = await cluster.status();
  if (status.placement.epoch !== epoch || status.redundancy.pendingMoves > 0 || status.redundancy.belowR > 0)
    return undefined;
  const matrix = await cluster.placement();
  return (await cluster.divergentPartitions(matrix)).length === 0 ? matrix : undefined;
}

/** The newest event of `target` detected after `after` that shows `action`. */
function eventWith(target: string, after: number, action: string, fault?: string) {
  return waitFor(`an event of ${target} with ${action}`, async () => {
    const status = await cluster.status();
    const event = status.events.find(
      (e) =>
        e.target === target &&
        e.detectedAt >= after &&
        (fault === undefined || e.fault === fault) &&
        e.actions.some((a) => a.action === action),
    );
    return event ? { status, event } : undefined;
  });
}

describe('monitor: a data node that stays dead', () => {
  it('re-places its partitions after the grace period; every partition is back to R equal replicas, nothing acknowledged is missing', async () => {
    await writeKeys('before', 150);
    expect(acked.size).toBe(150);
    // d4's host is gone: nothing can start it again.
    cluster.control.refuse('data-4');
    const killedAt = Date.now();
    await cluster.supervisor.control('data-4', 'kill');
    await writeKeys('during', 50);

    // The epoch is visible at once; the event log (shared through Redis) follows within a refresh.
    const replaced = await eventWith('d4', killedAt, 'replace');
    const event: RecoveryEvent = replaced.event;
    expect(replaced.status.placement).toMatchObject({ epoch: 2, servers: ['d1', 'd2', 'd3'] });
    expect(event.fault).toBe('dead');
    expect(event.actions.map((a) => [a.action, a.result])).toEqual(
      expect.arrayContaining([
        ['start', 'failed'],
        ['declare-dead', 'ok'],
        ['replace', 'ok'],
      ]),
    );
    expect(event.epochs[0]).toMatchObject({ from: 1, to: 2 });
    expect(event.epochs[0]!.moves).toBeGreaterThan(0);
    expect(replaced.status.nodes.find((n) => n.id === 'd4')).toMatchObject({
      membership: 'evicted',
      health: 'dead',
      replicas: 0,
    });

    const matrix = await waitFor(
      'every partition back to R equal replicas',
      () => converged(2),
      120_000,
      500,
    );
    expect(await cluster.missingKeys(matrix, acked)).toEqual([]);
    const after = await waitFor('the incident to be recovered (full redundancy)', async () => {
      const e = (await cluster.status()).events.find((x) => x.id === event.id);
      return e?.status === 'recovered' ? e : undefined;
    });
    expect(after.timeToRecoverMs).toBeGreaterThan(0);
  });

  it('places the node again when it comes back, moving partitions to it until all replicas are equal', async () => {
    const returnedAt = Date.now();
    cluster.control.allow('data-4');
    await cluster.supervisor.control('data-4', 'start');
    const back = await waitFor('epoch 3 with d4', async () => {
      const status = await cluster.status();
      return status.placement.epoch === 3 ? status : undefined;
    });
    expect(back.placement.servers).toContain('d4');
    expect(back.nodes.find((n) => n.id === 'd4')?.replicas).toBeGreaterThan(0);
    const matrix = await waitFor(
      'every partition back to R equal replicas in epoch 3',
      () => converged(3),
      120_000,
      500,
    );
    expect(await cluster.missingKeys(matrix, acked)).toEqual([]);
    await eventWith('d4', returnedAt, 'rebalance-in', 'returned');
  });
});
