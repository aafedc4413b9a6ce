import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcilePartition, sweepPartitions, type DivergentPartition } from './index.js';
import { DataNodeCluster, keysInPartition } from './testing/index.js';

let cluster: DataNodeCluster;
const P = 8;

beforeAll(async () => {
  cluster = await DataNodeCluster.start({ nodes: 3, partitions: P });
});

afterAll(async () => {
  await cluster?.stop();
});

describe('sweepPartitions', () => {
  it('finds exactly the partitions whose replicas differ, ranked by how many replicas agree', async () => {
    // partition 1: d3 missed a write (two agree); partition 4: every replica differs (none agree)
    const [a] = keysInPartition(1, P, 1, 'sweep');
    await cluster.write(cluster.record(a!, 'x'), ['d1', 'd2']);
    const [b, c] = keysInPartition(4, P, 2, 'sweep');
    await cluster.write(cluster.record(b!, 'x'), ['d1']);
    await cluster.write(cluster.record(c!, 'y'), ['d2']);

    const found: DivergentPartition[] = [];
    const report = await sweepPartitions(
      { cluster: cluster.view },
      { writeQuorum: 2, readQuorum: 2, onDivergent: (d) => void found.push(d) },
    );
    expect(report).toEqual({ checked: P, divergent: 2, downNodes: [] });
    expect(
      found.sort((x, y) => x.partition - y.partition).map((d) => [d.partition, d.inSync, d.risk]),
    ).toEqual([
      [1, 2, 'diverged'],
      [4, 1, 'below-write-quorum'],
    ]);

    for (const d of found) await reconcilePartition({ cluster: cluster.view }, { partition: d.partition });
    expect(
      (await sweepPartitions({ cluster: cluster.view }, { writeQuorum: 2, readQuorum: 2 })).divergent,
    ).toBe(0);
  });

  it('skips a node that stopped answering instead of waiting on it for every partition', async () => {
    await cluster.node('d3').process.kill();
    const report = await sweepPartitions(
      { cluster: cluster.view, requestTimeoutMs: 1_000 },
      { writeQuorum: 2, readQuorum: 2, concurrency: 1 },
    );
    expect(report.downNodes).toEqual(['d3']);
    expect(report.checked).toBe(P);
    await cluster.node('d3').process.start();
  });
});
