import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keysInPartition, waitFor } from '@redoubt/anti-entropy/testing';
import { QUEUES } from '@redoubt/queues';
import type { Version } from '@redoubt/records';
import { WorkerFixture } from './testing/worker-fixture.js';

let fx: WorkerFixture;
const P = 8;
const PARTITION = 2;

beforeAll(async () => {
  // 1 MB/s makes a 6 MB rebuild last several seconds: long enough to kill the worker in the middle of it.
  fx = await WorkerFixture.start({
    partitions: P,
    env: {
      BANDWIDTH_LIMIT_MB_S: '1',
      REPAIR_CONCURRENCY: '1',
      JOB_LOCK_MS: '3000',
      STALLED_INTERVAL_MS: '1000',
    },
  });
});

afterAll(async () => {
  await fx?.stop();
});

async function snapshot(): Promise<Map<string, Map<string, Version>>> {
  const all = new Map<string, Map<string, Version>>();
  for (const node of ['d1', 'd2', 'd3']) all.set(node, await fx.nodes.versions(node, PARTITION));
  return all;
}

describe('a worker killed with SIGKILL in the middle of a repair', () => {
  it('has the repair picked up again after restart; it completes and no record ends older than before', async () => {
    const bulk = keysInPartition(PARTITION, P, 760, 'crash');
    const [missing, d3Newer, d3Older] = [bulk.slice(0, 720), bulk.slice(720, 740), bulk.slice(740, 760)];
    // 720 records of 8 KiB that d3 never got (about 6 MB to stream) ...
    await fx.nodes.writeMany(
      missing.map((key) => fx.nodes.record(key, Buffer.alloc(8192, 7))),
      ['d1', 'd2'],
    );
    // ... keys where d3 holds a newer version than the others, and keys where it holds an older one
    await fx.nodes.writeMany(
      d3Newer.map((key) => fx.nodes.record(key, 'old')),
      ['d1', 'd2'],
    );
    await fx.nodes.writeMany(
      d3Newer.map((key) => fx.nodes.record(key, 'newest, on d3 only')),
      ['d3'],
    );
    await fx.nodes.writeMany(
      d3Older.map((key) => fx.nodes.record(key, 'old')),
      ['d3'],
    );
    await fx.nodes.writeMany(
      d3Older.map((key) => fx.nodes.record(key, 'newest')),
      ['d1', 'd2'],
    );
    const before = await snapshot();

    const jobId = await fx.producer.repairPartition(
      { partition: PARTITION, reason: 'operator' },
      { jobId: 'repair-crash' },
    );
    const queue = fx.queue(QUEUES.repairPartition);
    const d3 = fx.nodes.node('d3').client;
    const startRecords = (await d3.digest(PARTITION)).records;
    await waitFor(
      'the repair to have copied part of the partition',
      async () => (await d3.digest(PARTITION)).records > startRecords,
      60_000,
      50,
    );
    expect(await queue.getJobState(jobId)).toBe('active');
    await fx.killWorker();
    const copiedAtKill = (await d3.digest(PARTITION)).records;
    expect(copiedAtKill).toBeLessThan(bulk.length);

    await fx.startWorker();
    await waitFor(
      'the repair job to complete',
      async () => (await queue.getJobState(jobId)) === 'completed',
      90_000,
      250,
    );
    const job = await queue.getJob(jobId);
    expect(job?.returnvalue).toMatchObject({ partition: PARTITION, converged: true });
    expect(await fx.nodes.converged([PARTITION])).toBe(true);

    const after = await snapshot();
    for (const [node, versions] of before) {
      for (const [key, version] of versions) {
        expect(after.get(node)!.get(key)! >= version, `${node} ${key} went back from ${version}`).toBe(true);
      }
    }
    expect(after.get('d1')!.get(d3Newer[0]!)).toBe(before.get('d3')!.get(d3Newer[0]!));
    expect(after.get('d3')!.size).toBe(bulk.length);
  });
});
