import { afterEach, describe, expect, it } from 'vitest';
import { partitionOf } from '@redoubt/hashing';
import { CLUSTER_TOKEN_HEADER } from '@redoubt/http-kit';
import { record, startDataNode, TOKEN, version, type DataNodeHandle } from './testing/data-node-process.js';

let node: DataNodeHandle | undefined;
afterEach(async () => {
  await node?.dispose();
  node = undefined;
});

const P = 16;

async function readyz(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}/readyz`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('data node on a failing disk (real process, log engine, injected EIO/ENOSPC)', () => {
  it.each([
    ['fsync', 'EIO'],
    ['write', 'ENOSPC'],
  ] as const)(
    'a failed %s (%s) stops the node taking writes, loses nothing acknowledged, and a restart recovers it',
    async (op, code) => {
      node = await startDataNode({ id: `disk-${op}`, partitions: P, testHooks: true });
      const client = node.client();
      const records = Array.from({ length: 100 }, (_, i) =>
        record(`disk-${i}`, `value ${i}`, version(1_000 + i)),
      );
      const acknowledged = await Promise.all(records.map((r) => client.put(partitionOf(r.key, P), r)));
      expect(acknowledged.every((o) => o.status === 'applied')).toBe(true);

      await client.diskFaultForTest({ op, code, times: 1, short: code === 'ENOSPC' });
      const failing = Array.from({ length: 20 }, (_, i) => record(`lost-${i}`, 'x', version(2_000 + i)));
      const outcomes = await Promise.allSettled(failing.map((r) => client.put(partitionOf(r.key, P), r)));
      // Nothing the disk did not keep is acknowledged; every refusal names the failure.
      expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
      for (const o of outcomes) {
        expect((o as PromiseRejectedResult).reason).toMatchObject({ code: 'STORE_FAILED' });
      }
      // Fail stop: the disk answers again, yet writes stay refused until a restart.
      await expect(
        client.put(partitionOf('later', P), record('later', 'x', version(3_000))),
      ).rejects.toMatchObject({
        code: 'STORE_FAILED',
        message: expect.stringContaining('until the node restarts'),
      });
      const notReady = await readyz(node.url);
      expect(notReady.status).toBe(503);
      expect(notReady.body).toMatchObject({
        status: 'not_ready',
        store: expect.stringContaining('disk failure'),
      });
      // Reads of what was acknowledged are still served.
      expect((await client.get(partitionOf('disk-7', P), 'disk-7'))?.version).toBe(records[7]!.version);

      await node.process.stop();
      await node.process.start(); // a new process, a healthy disk (faults live in the old process only)
      const after = node.client();
      expect((await readyz(node.url)).status).toBe(200);
      const got = await Promise.all(records.map((r) => after.get(partitionOf(r.key, P), r.key)));
      got.forEach((g, i) => expect(g?.version).toBe(records[i]!.version));
      expect(await after.scrub()).toMatchObject({ corrupt: [] });
      const outcome = await after.put(
        partitionOf('later', P),
        record('later', 'after restart', version(4_000)),
      );
      expect(outcome.status).toBe('applied');
    },
  );

  it('refuses a malformed fault request with 400 and names the problem', async () => {
    node = await startDataNode({ id: 'disk-bad', partitions: P, testHooks: true });
    const res = await fetch(`${node.url}/internal/v1/test/disk-fault`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [CLUSTER_TOKEN_HEADER]: TOKEN },
      body: JSON.stringify({ op: 'format', code: 'EIO' }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('op') },
    });
  });
});
