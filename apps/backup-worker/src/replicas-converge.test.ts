import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keysInPartition, waitFor } from '@redoubt/anti-entropy/testing';
import { QUEUES } from '@redoubt/queues';
import type { StoredRecord } from '@redoubt/records';
import { WorkerFixture } from './testing/worker-fixture.js';

let fx: WorkerFixture;
const P = 8;

beforeAll(async () => {
  fx = await WorkerFixture.start({ partitions: P });
});

afterAll(async () => {
  await fx?.stop();
});

/**
 * Writes while d3 is down, with W = 2: every write reaches d1 and d2 and queues a handoff for d3, the way
 * the gateway does. A mix of new keys, overwrites and deletes (tombstones), over every partition.
 */
async function writeWhileDown(round: string, existing: string[]): Promise<string[]> {
  const keys: string[] = [];
  for (let p = 0; p < P; p++) keys.push(...keysInPartition(p, P, 15, `${round}-p${p}`));
  const writes: StoredRecord[] = [
    ...keys.map((key) => fx.nodes.record(key, `${key}@${round}`)),
    ...existing.slice(0, 20).map((key) => fx.nodes.record(key, `${key} overwritten in ${round}`)),
    ...existing.slice(20, 40).map((key) => fx.nodes.tombstone(key)),
  ];
  for (let at = 0; at < writes.length; at += 50) {
    await Promise.all(
      writes.slice(at, at + 50).map((record) => fx.writeWithHandoff(record, ['d1', 'd2'], ['d3'])),
    );
  }
  return keys;
}

describe('a data node that was down while writes continued', () => {
  let firstKeys: string[] = [];

  it('ends with replicas equal to the others through handoff jobs, without any manual step', async () => {
    const initial: string[] = [];
    for (let p = 0; p < P; p++) initial.push(...keysInPartition(p, P, 10, `initial-p${p}`));
    await fx.nodes.writeMany(
      initial.map((key) => fx.nodes.record(key, 'v0')),
      ['d1', 'd2', 'd3'],
    );

    await fx.nodes.node('d3').process.kill();
    firstKeys = await writeWhileDown('r1', initial);
    expect(await fx.queue(QUEUES.replicate).count()).toBeGreaterThan(0);
    await fx.nodes.node('d3').process.start();

    await waitFor('d3 to converge through handoffs', () => fx.nodes.converged(), 90_000, 250);
    const sample = firstKeys[3]!;
    const partition = fx.nodes.partitionOf(sample);
    expect((await fx.nodes.node('d3').client.get(partition, sample))?.value.toString()).toBe(`${sample}@r1`);
    expect(
      (await fx.nodes.node('d3').client.get(fx.nodes.partitionOf(initial[25]!), initial[25]!))?.tombstone,
    ).toBe(true);
    expect(await fx.metric('redoubt_records_repaired_total', { queue: 'replicate' })).toBeGreaterThan(0);
  });

  it('also ends equal through anti-entropy alone when the queued handoffs are lost (queue obliterated)', async () => {
    await fx.nodes.node('d3').process.kill();
    await writeWhileDown('r2', firstKeys);
    await fx.queue(QUEUES.replicate).obliterate({ force: true });
    await fx.nodes.node('d3').process.start();
    expect(await fx.nodes.converged()).toBe(false); // nothing left in any queue can fix it

    await fx.startWorker({ ANTI_ENTROPY_EVERY_MS: '1000' });
    await waitFor('d3 to converge through anti-entropy', () => fx.nodes.converged(), 90_000, 250);
    expect(await fx.metric('redoubt_records_repaired_total', { queue: 'repair-partition' })).toBeGreaterThan(
      0,
    );
    expect(await fx.queue(QUEUES.repairPartition).getJobScheduler('anti-entropy-sweep')).toMatchObject({
      every: 1000,
    });
  });
});
