import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { DataNodeClient } from '@redoubt/cluster-client';
import { TestCluster } from './testing/test-cluster.js';

/**
 * Two of five data nodes lost at once, disks and all (N=3, W=2, R=2): the partitions that kept two
 * replicas go on as before; those that kept one refuse writes with a typed 503 that names the
 * problem, and acknowledge nothing; no acknowledged write is lost (the one replica left still has it).
 */
let cluster: TestCluster;
beforeAll(async () => {
  cluster = await TestCluster.start({ dataNodes: 5 });
}, 180_000); // seven processes to start: slow on a shared 2-core machine
afterAll(async () => {
  await cluster?.stop();
});

describe('two of five data nodes lost at once (N=3, W=2)', () => {
  it('refuses writes to partitions left with one replica, keeps serving the others, loses nothing acknowledged', async () => {
    const lost = ['d2', 'd4'];
    const keys = Array.from({ length: 300 }, (_, i) => `loss-${i}`);
    for (const key of keys) expect((await cluster.put(key, `before ${key}`)).status).toBe(201);
    const lostCount = (key: string) => cluster.replicasOfKey(key).filter((n) => lost.includes(n)).length;
    const orphaned = keys.filter((key) => lostCount(key) === 2);
    const degraded = keys.filter((key) => lostCount(key) < 2);
    expect(orphaned.length).toBeGreaterThan(0); // the placement puts some partitions on both

    for (const id of lost) {
      await cluster.node(id).kill();
      rmSync(join(cluster.dir, id), { recursive: true, force: true }); // the disk is gone too
    }

    // Partitions with two replicas left: writes and reads as before.
    for (const key of degraded) {
      expect((await cluster.put(key, `after ${key}`)).status).toBe(201);
      const read = await cluster.get(key);
      expect(read.status).toBe(200);
      expect(await read.text()).toBe(`after ${key}`);
    }
    // Partitions with one replica left: a typed refusal naming the problem, never an acknowledgement.
    for (const key of orphaned) {
      const res = await cluster.put(key, `refused ${key}`);
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toMatch(/json/);
      const body = (await res.json()) as {
        error: { code: string; message: string; details: Record<string, unknown> };
      };
      // The survivor confirms (1 of 2), or on a slow machine does not answer in time (0 of 2, 1 unknown):
      // either way the write is refused with the typed error, never acknowledged.
      expect(body.error).toMatchObject({
        code: 'QUORUM_NOT_REACHED',
        message: expect.stringMatching(/^[01] of the 2 required replicas confirmed the write/),
        details: { operation: 'write', required: 2 },
      });
      expect(body.error.details.confirmed).toBeLessThan(2);
    }
    // Nothing acknowledged is lost: the surviving replica of each orphaned key holds what was
    // acknowledged (the refused writes may have reached it too: they were never acknowledged, and a
    // retry is safe), ready for the rebuild of the two new replicas.
    const clients = new Map<string, DataNodeClient>();
    try {
      for (const key of orphaned) {
        const [survivor] = cluster.replicasOfKey(key).filter((n) => !lost.includes(n));
        let client = clients.get(survivor!);
        if (client === undefined) {
          client = new DataNodeClient({
            id: survivor!,
            url: cluster.nodeUrl(survivor!),
            clusterToken: cluster.clusterToken,
          });
          clients.set(survivor!, client);
        }
        const stored = await client.get(cluster.partitionOfKey(key), key);
        expect([`before ${key}`, `refused ${key}`]).toContain(Buffer.from(stored!.value).toString());
      }
    } finally {
      await Promise.all([...clients.values()].map((c) => c.close()));
    }
  }, 240_000);
});
