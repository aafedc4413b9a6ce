import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRedoubtError } from '@redoubt/errors';
import { scrubNode, type AntiEntropyContext } from './index.js';
import { DataNodeCluster, keysInPartition } from './testing/index.js';

let cluster: DataNodeCluster;
let ctx: AntiEntropyContext;
const found: string[] = [];

beforeAll(async () => {
  cluster = await DataNodeCluster.start({ nodes: 3, partitions: 8 });
  ctx = {
    cluster: cluster.view,
    observer: { corruptFound: (node, _p, key) => found.push(`${node}:${key}`) },
  };
});

afterAll(async () => {
  await cluster?.stop();
});

describe('scrubNode', () => {
  it('finds a record damaged on disk, replaces it from an intact replica, and the node never served it meanwhile', async () => {
    const keys = keysInPartition(6, 8, 20, 'scrub');
    const records = keys.map((key) => cluster.record(key, `${key}=intact`));
    await cluster.writeMany(records, ['d1', 'd2', 'd3']);
    const victim = keys[7]!;
    await cluster.node('d2').client.corruptForTest(6, victim);

    const read = await cluster
      .node('d2')
      .client.get(6, victim)
      .catch((error: unknown) => error);
    expect(isRedoubtError(read, 'RECORD_CORRUPT')).toBe(true);
    const streamed: string[] = [];
    for await (const record of cluster.node('d2').client.streamOut(6)) streamed.push(record.key);
    expect(streamed).not.toContain(victim);

    const report = await scrubNode(ctx, { node: 'd2' });
    expect(report.corrupt).toEqual([
      {
        partition: 6,
        key: victim,
        outcome: 'replaced',
        source: expect.stringMatching(/^d[13]$/),
        version: records[7]!.version,
      },
    ]);
    expect(report.checked).toBeGreaterThanOrEqual(keys.length);
    expect(found).toContain(`d2:${victim}`);
    expect((await cluster.node('d2').client.get(6, victim))?.value.toString()).toBe(`${victim}=intact`);
    expect((await scrubNode(ctx, { node: 'd2', partition: 6 })).corrupt).toEqual([]);
  });

  it('reports a record no replica holds intact as unrecoverable', async () => {
    const key = keysInPartition(7, 8, 1, 'lost')[0]!;
    await cluster.write(cluster.record(key, 'soon rotten everywhere'), ['d1', 'd2', 'd3']);
    for (const node of ['d1', 'd2', 'd3']) await cluster.node(node).client.corruptForTest(7, key);
    const report = await scrubNode(ctx, { node: 'd3', partition: 7 });
    expect(report.corrupt).toEqual([{ partition: 7, key, outcome: 'unrecoverable' }]);
  });
});
