import { describe, expect, it } from 'vitest';
import { DownstreamBreaker } from '@redoubt/circuit-breakers';
import type { ReplicateJob } from '@redoubt/queues';
import { HybridClock, makeRecord } from '@redoubt/records';
import {
  guardReplica,
  QuorumCoordinator,
  quorumRead,
  quorumWrite,
  replicaBehindBatchBreaker,
  type HandoffSink,
  type ReplicaSet,
} from './index.js';
import { ScriptedReplica } from './testing-replicas.js';

const clock = new HybridClock('gwtest');
const record = (key = 'k') =>
  makeRecord({
    key,
    value: Buffer.from('v'),
    contentType: 'text/plain',
    version: clock.now(),
    tombstone: false,
  });

class RecordingSink implements HandoffSink {
  jobs: ReplicateJob[] = [];
  submit(job: ReplicateJob): void {
    this.jobs.push(job);
  }
}

/** A replica behind a real breaker whose calls never answer: times out after `timeoutMs`. */
function silentBehindBreaker(id: string, timeoutMs = 100) {
  const breaker = new DownstreamBreaker(id, { timeoutMs, volumeThreshold: 1000 });
  return { replica: guardReplica(new ScriptedReplica(id, 'hang'), breaker), breaker };
}

const setOf = (...replicas: ReplicaSet['replicas']): ReplicaSet => ({ partition: 7, epoch: 1, replicas });

describe('quorumWrite', () => {
  it('acknowledges as soon as W replicas acked, without waiting for one that never answers', async () => {
    const silent = silentBehindBreaker('d3', 60_000);
    const outcome = await quorumWrite(
      setOf(new ScriptedReplica('d1', 'ack'), new ScriptedReplica('d2', 'ack'), silent.replica),
      record(),
      2,
    );
    expect(outcome).toMatchObject({ ok: true, confirmed: 2, required: 2, failed: 0, unknown: 1 });
    silent.breaker.shutdown();
  });

  it('fails at once when refusals leave too few replicas to reach W', async () => {
    const outcome = await quorumWrite(
      setOf(
        new ScriptedReplica('d1', 'refuse'),
        new ScriptedReplica('d2', 'refuse'),
        silentBehindBreaker('d3', 60_000).replica,
      ),
      record(),
      2,
    );
    expect(outcome).toMatchObject({ ok: false, confirmed: 0, required: 2, failed: 2, unknown: 1 });
  });

  it('counts a timed-out replica as unknown, not failed, and does not turn it into a success', async () => {
    const silent = silentBehindBreaker('d3');
    const outcome = await quorumWrite(
      setOf(new ScriptedReplica('d1', 'ack'), new ScriptedReplica('d2', 'ack'), silent.replica),
      record(),
      3,
    );
    expect(outcome).toMatchObject({ ok: false, confirmed: 2, required: 3, failed: 0, unknown: 1 });
    const settled = await outcome.settled;
    expect(settled).toMatchObject({ acked: ['d1', 'd2'], failed: [], unknown: ['d3'] });
    expect(settled.errors).toEqual({ d3: 'REPLICA_TIMEOUT' });
    silent.breaker.shutdown();
  });

  it('treats a replica whose breaker is open as failed immediately, without calling it', async () => {
    const node = new ScriptedReplica('d3', 'ack');
    const breaker = new DownstreamBreaker('d3', { resetTimeoutMs: 60_000 });
    breaker.trip();
    const outcome = await quorumWrite(
      setOf(
        new ScriptedReplica('d1', 'ack'),
        new ScriptedReplica('d2', 'refuse'),
        guardReplica(node, breaker),
      ),
      record(),
      2,
    );
    expect(outcome).toMatchObject({ ok: false, confirmed: 1, failed: 2, unknown: 0 });
    expect((await outcome.settled).errors).toEqual({ d2: 'REPLICA_UNAVAILABLE', d3: 'CIRCUIT_OPEN' });
    expect(node.puts).toBe(0);
    breaker.shutdown();
  });

  it('fails a replica behind an open batch breaker at once, and calls it straight through once it closes', async () => {
    const node = new ScriptedReplica('d3', 'ack');
    const breaker = new DownstreamBreaker('d3', { resetTimeoutMs: 60_000 });
    const replica = replicaBehindBatchBreaker(node, breaker);
    const set = setOf(new ScriptedReplica('d1', 'ack'), new ScriptedReplica('d2', 'refuse'), replica);
    breaker.trip();
    expect(replica.isAvailable?.()).toBe(false);
    const refused = await quorumWrite(set, record(), 2);
    expect(refused).toMatchObject({ ok: false, confirmed: 1, failed: 2, unknown: 0 });
    expect((await refused.settled).errors).toEqual({ d2: 'REPLICA_UNAVAILABLE', d3: 'CIRCUIT_OPEN' });
    expect(node.puts).toBe(0);

    breaker.reset();
    expect(await quorumWrite(set, record(), 2)).toMatchObject({ ok: true, confirmed: 2 });
    expect(node.puts).toBe(1);
    breaker.shutdown();
  });
});

describe('quorum outcomes', () => {
  // An object literal with a getter closure gets a V8 hidden class of its own, in the old generation, which
  // kept every request's state alive through young-generation collections (settlement.ts); outcomes share
  // their accessors through the prototype instead.
  it('carry settled and onSettled on their prototype, not on each outcome, and both still report the settlement', async () => {
    const replicas = ['d1', 'd2', 'd3'].map((id) => new ScriptedReplica(id, 'ack'));
    const written = await quorumWrite(setOf(...replicas), record(), 2);
    const read = await quorumRead(setOf(...replicas), 'k', 2);
    for (const outcome of [written, read]) {
      expect(Object.getOwnPropertyNames(outcome)).not.toContain('settled');
      expect(Object.getOwnPropertyNames(outcome)).not.toContain('onSettled');
    }
    expect((await written.settled).acked.sort()).toEqual(['d1', 'd2', 'd3']);
    const viaCallback = await new Promise((resolve) => read.onSettled(resolve));
    expect(viaCallback).toBe(await read.settled);
  });
});

describe('QuorumCoordinator hinted handoff', () => {
  it('hands the replicas that failed or timed out to the queue, with the ackers as sources', async () => {
    const sink = new RecordingSink();
    const coordinator = new QuorumCoordinator({ handoff: sink });
    const silent = silentBehindBreaker('d3');
    const r = record('user:1');
    const outcome = await coordinator.write(
      {
        partition: 11,
        epoch: 4,
        replicas: [new ScriptedReplica('d1', 'ack'), silent.replica, new ScriptedReplica('d2', 'ack')],
      },
      r,
      2,
    );
    expect(outcome.ok).toBe(true);
    expect(sink.jobs).toEqual([]); // decided before the slow replica finished: nothing handed off yet
    await outcome.settled;
    await new Promise((resolve) => setImmediate(resolve));
    expect(sink.jobs).toEqual([
      {
        key: 'user:1',
        partition: 11,
        version: r.version,
        targets: ['d3'],
        sources: ['d1', 'd2'],
        reason: 'handoff',
        epoch: 4,
      },
    ]);
    silent.breaker.shutdown();
  });

  it('hands off nothing when every replica acked, or when none did (nothing to copy from)', async () => {
    const sink = new RecordingSink();
    const coordinator = new QuorumCoordinator({ handoff: sink });
    const all = await coordinator.write(
      setOf(
        new ScriptedReplica('d1', 'ack'),
        new ScriptedReplica('d2', 'ack'),
        new ScriptedReplica('d3', 'ack'),
      ),
      record(),
      2,
    );
    const none = await coordinator.write(
      setOf(
        new ScriptedReplica('d1', 'refuse'),
        new ScriptedReplica('d2', 'refuse'),
        new ScriptedReplica('d3', 'refuse'),
      ),
      record(),
      2,
    );
    expect([all.ok, none.ok]).toEqual([true, false]);
    await Promise.all([all.settled, none.settled]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sink.jobs).toEqual([]);
  });
});
