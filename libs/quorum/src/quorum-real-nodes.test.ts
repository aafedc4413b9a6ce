import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataNodeClient, type PutOutcome } from '@redoubt/cluster-client';
import { RedoubtError } from '@redoubt/errors';
import { partitionOf } from '@redoubt/hashing';
import { dataNodeService, freePort, type ServiceProcess } from '@redoubt/local-stack';
import type { ReplicateJob } from '@redoubt/queues';
import { HybridClock, makeRecord, makeTombstone, type StoredRecord } from '@redoubt/records';
import {
  QuorumCoordinator,
  quorumRead,
  quorumWrite,
  writeNewest,
  type ReplicaClient,
  type ReplicaSet,
} from './index.js';

/** Quorum behaviour about data, against three real data node processes. */
const PARTITIONS = 16;
const token = randomBytes(16).toString('hex');
const dir = mkdtempSync(join(tmpdir(), 'redoubt-quorum-'));
const nodes: ServiceProcess[] = [];
const clients: DataNodeClient[] = [];
const clock = new HybridClock('qtest');

beforeAll(async () => {
  for (let i = 1; i <= 3; i++) {
    const port = await freePort();
    nodes.push(
      dataNodeService({
        id: `d${i}`,
        name: `data-${i}`,
        port,
        dir: join(dir, `d${i}`),
        clusterToken: token,
        partitions: PARTITIONS,
        readyTimeoutMs: 60_000,
        log: join(dir, `d${i}.log`),
      }),
    );
    clients.push(new DataNodeClient({ id: `d${i}`, url: `http://127.0.0.1:${port}`, clusterToken: token }));
  }
  await Promise.all(nodes.map((n) => n.start()));
});

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await Promise.allSettled(nodes.map((n) => n.stop(5_000)));
  rmSync(dir, { recursive: true, force: true });
});

const partitionOfKey = (key: string) => partitionOf(key, PARTITIONS);
const set = (key: string, ...replicas: ReplicaClient[]): ReplicaSet => ({
  partition: partitionOfKey(key),
  epoch: 1,
  replicas,
});
const value = (key: string, text: string) =>
  makeRecord({
    key,
    value: Buffer.from(text),
    contentType: 'text/plain',
    version: clock.now(),
    tombstone: false,
  });

async function eventually(
  what: string,
  condition: () => Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what}: not true within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const versionOn = async (client: DataNodeClient, key: string) =>
  (await client.get(partitionOfKey(key), key))?.version ?? null;

class RecordingSink {
  jobs: ReplicateJob[] = [];
  submit(job: ReplicateJob): void {
    this.jobs.push(job);
  }
}

describe('quorum writes on real data nodes', () => {
  it('acknowledges W durable writes and the record is on every replica that acked', async () => {
    const record = value('w-key', 'hello');
    const outcome = await quorumWrite(set('w-key', ...clients), record, 2);
    expect(outcome.ok).toBe(true);
    const settled = await outcome.settled;
    expect(settled.acked.sort()).toEqual(['d1', 'd2', 'd3']);
    for (const c of clients) expect(await versionOn(c, 'w-key')).toBe(record.version);
  });

  it('does not count a stale reply as an ack: an older write is superseded, not acknowledged', async () => {
    const older = value('lww', 'older');
    const newer = value('lww', 'newer');
    await quorumWrite(set('lww', ...clients), newer, 3);
    const outcome = await quorumWrite(set('lww', ...clients), older, 2);
    // Before decision 0016 (supersede-on-stale) this was ok: true, a success that no read would ever return.
    expect(outcome.ok).toBe(false);
    expect(outcome.supersededBy).toBe(newer.version);
    const settled = await outcome.settled;
    expect(settled).toMatchObject({ acked: [], failed: [], unknown: [], newestCurrent: newer.version });
    expect(settled.stale.sort()).toEqual(['d1', 'd2', 'd3']);
    const read = await quorumRead(set('lww', ...clients), 'lww', 2);
    expect(Buffer.from(read.record!.value).toString()).toBe('newer');
  });

  it('counts a replica that already holds exactly this version (a retried put) as an ack', async () => {
    const record = value('again', 'same');
    await quorumWrite(set('again', ...clients), record, 3);
    const outcome = await quorumWrite(set('again', ...clients), record, 3);
    expect(outcome).toMatchObject({ ok: true, confirmed: 3, supersededBy: undefined });
  });

  it('writeNewest: a write behind a clock that ran 30 s ahead moves past it and is what reads return', async () => {
    const ahead = new HybridClock('fast', () => Date.now() + 30_000);
    const fromTheFuture = makeRecord({
      key: 'skew',
      value: Buffer.from('from a fast clock'),
      contentType: 'text/plain',
      version: ahead.now(),
      tombstone: false,
    });
    expect((await quorumWrite(set('skew', ...clients), fromTheFuture, 3)).ok).toBe(true);
    const coordinator = new QuorumCoordinator({ handoff: new RecordingSink() });
    const honest = new HybridClock('honest');
    const later = await writeNewest(coordinator, honest, set('skew', ...clients), 2, (version) =>
      makeRecord({
        key: 'skew',
        value: Buffer.from('later'),
        contentType: 'text/plain',
        version,
        tombstone: false,
      }),
    );
    expect(later.outcome.ok).toBe(true);
    expect(later.attempts).toBe(2);
    expect(later.record.version > fromTheFuture.version).toBe(true);
    const read = await quorumRead(set('skew', ...clients), 'skew', 2);
    expect(read.record?.version).toBe(later.record.version);
    expect(Buffer.from(read.record!.value).toString()).toBe('later');
  });

  it('writeNewest: a newer version beyond the allowed drift of this clock is answered WRITE_SUPERSEDED', async () => {
    const far = new HybridClock('far', () => Date.now() + 50_000);
    const ahead = makeRecord({
      key: 'far',
      value: Buffer.from('x'),
      contentType: 'text/plain',
      version: far.now(),
      tombstone: false,
    });
    expect((await quorumWrite(set('far', ...clients), ahead, 3)).ok).toBe(true);
    // This gateway's clock is 20 s behind the data nodes: the held version is 70 s ahead of it.
    const behind = new HybridClock('slow', () => Date.now() - 20_000);
    const coordinator = new QuorumCoordinator({ handoff: new RecordingSink() });
    const attempt = writeNewest(coordinator, behind, set('far', ...clients), 2, (version) =>
      makeRecord({
        key: 'far',
        value: Buffer.from('y'),
        contentType: 'text/plain',
        version,
        tombstone: false,
      }),
    );
    await expect(attempt).rejects.toMatchObject({
      code: 'WRITE_SUPERSEDED',
      details: { newerVersion: ahead.version },
    });
    expect(await versionOn(clients[0]!, 'far')).toBe(ahead.version);
  });
});

describe('quorum reads on real data nodes', () => {
  it('returns the newest of R replies and repairs the stale replica it read', async () => {
    const [d1, d2, d3] = clients as [DataNodeClient, DataNodeClient, DataNodeClient];
    const v1 = value('stale-key', 'v1');
    const v2 = value('stale-key', 'v2');
    for (const c of clients) await c.put(partitionOfKey(v1.key), v1);
    await d1.put(partitionOfKey(v2.key), v2); // only d1 has the newest version
    const coordinator = new QuorumCoordinator({ handoff: new RecordingSink() });
    const outcome = await coordinator.read(set('stale-key', d2, d1, d3), 'stale-key', 2);
    expect(outcome.ok).toBe(true);
    expect(outcome.record?.version).toBe(v2.version);
    expect(Buffer.from(outcome.record!.value).toString()).toBe('v2');
    await eventually('d2 is repaired', async () => (await versionOn(d2, 'stale-key')) === v2.version);
    expect(await versionOn(d3, 'stale-key')).toBe(v1.version); // not read, not repaired (anti-entropy's job)
  });

  it('writes the newest record to a replica that has none', async () => {
    const [d1, d2, d3] = clients as [DataNodeClient, DataNodeClient, DataNodeClient];
    const record = value('missing-key', 'x');
    await d1.put(partitionOfKey(record.key), record);
    await d2.put(partitionOfKey(record.key), record);
    const coordinator = new QuorumCoordinator({ handoff: new RecordingSink() });
    const outcome = await coordinator.read(set('missing-key', d1, d2, d3), 'missing-key', 3);
    expect(outcome.record?.version).toBe(record.version);
    await eventually(
      'd3 gets the record',
      async () => (await versionOn(d3, 'missing-key')) === record.version,
    );
  });

  it('returns a newer tombstone over an older value, and spreads the tombstone', async () => {
    const [d1, d2] = clients as [DataNodeClient, DataNodeClient];
    const live = value('deleted-key', 'alive');
    await d1.put(partitionOfKey(live.key), live);
    await d2.put(partitionOfKey(live.key), live);
    const tombstone = makeTombstone('deleted-key', clock.now());
    await d1.put(partitionOfKey(tombstone.key), tombstone);
    const coordinator = new QuorumCoordinator({ handoff: new RecordingSink() });
    const outcome = await coordinator.read(set('deleted-key', d1, d2), 'deleted-key', 2);
    expect(outcome.record).toMatchObject({ tombstone: true, version: tombstone.version });
    await eventually(
      'd2 gets the tombstone',
      async () => (await d2.get(partitionOfKey('deleted-key'), 'deleted-key'))?.tombstone === true,
    );
  });

  it('hands a replica to the queue when writing the repair to it fails', async () => {
    const [d1, d2] = clients as [DataNodeClient, DataNodeClient];
    const record = value('unrepairable', 'x');
    await d1.put(partitionOfKey(record.key), record);
    await d2.put(partitionOfKey(record.key), record);
    // d3 answers reads (from the real node) but refuses writes: a repair that cannot be written directly
    const d3 = clients[2]!;
    const refusesWrites: ReplicaClient = {
      id: 'd3',
      get: (p, key) => d3.get(p, key),
      put: (): Promise<PutOutcome> => Promise.reject(new RedoubtError('REPLICA_UNAVAILABLE', 'refused')),
    };
    const sink = new RecordingSink();
    const coordinator = new QuorumCoordinator({ handoff: sink });
    const outcome = await coordinator.read(set('unrepairable', d1, d2, refusesWrites), 'unrepairable', 3);
    expect(outcome.ok).toBe(true);
    await eventually('the repair is handed off', async () => sink.jobs.length === 1);
    expect(sink.jobs[0]).toMatchObject({
      key: 'unrepairable',
      partition: partitionOfKey('unrepairable'),
      version: record.version,
      targets: ['d3'],
      reason: 'read-repair',
      epoch: 1,
    });
    expect(sink.jobs[0]!.sources.sort()).toEqual(['d1', 'd2']);
  });

  it('reads around a killed replica by asking the next one', async () => {
    const record: StoredRecord = value('around-key', 'y');
    for (const c of clients) await c.put(partitionOfKey(record.key), record);
    await nodes[0]!.kill();
    try {
      const outcome = await quorumRead(set('around-key', ...clients), 'around-key', 2);
      expect(outcome).toMatchObject({ ok: true, confirmed: 2, failed: 1 });
      expect(outcome.record?.version).toBe(record.version);
    } finally {
      await nodes[0]!.start();
    }
  });
});
