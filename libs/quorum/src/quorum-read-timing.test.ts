import { describe, expect, it } from 'vitest';
import { DownstreamBreaker } from '@redoubt/circuit-breakers';
import { hedgeSchedulerFor } from './hedge-scheduler.js';
import { guardReplica, HedgeBudget, quorumRead, type ReplicaSet } from './index.js';
import { ScriptedReplica } from './testing-replicas.js';

const setOf = (...replicas: ReplicaSet['replicas']): ReplicaSet => ({ partition: 3, epoch: 1, replicas });

describe('quorumRead timing', () => {
  it('asks only R replicas when they answer', async () => {
    const [a, b, c] = [
      new ScriptedReplica('d1', 'ack'),
      new ScriptedReplica('d2', 'ack'),
      new ScriptedReplica('d3', 'ack'),
    ];
    const outcome = await quorumRead(setOf(a, b, c), 'k', 2, { hedgeAfterMs: 60_000 });
    expect(outcome).toMatchObject({ ok: true, confirmed: 2, required: 2 });
    expect([a.gets, b.gets, c.gets]).toEqual([1, 1, 0]);
  });

  it('drops its hedge once decided, so the scheduler holds nothing of a finished read', async () => {
    const delayMs = 60_001; // a scheduler of its own: no other test shares this delay
    const replicas = ['d1', 'd2', 'd3'].map((id) => new ScriptedReplica(id, 'ack'));
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        quorumRead(setOf(...replicas), `k${i}`, 2, { hedgeAfterMs: delayMs }),
      ),
    );
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(hedgeSchedulerFor(delayMs).pending()).toBe(0);
  });

  it('asks the next replica at once when one refuses', async () => {
    const [a, b, c] = [
      new ScriptedReplica('d1', 'refuse'),
      new ScriptedReplica('d2', 'ack'),
      new ScriptedReplica('d3', 'ack'),
    ];
    const outcome = await quorumRead(setOf(a, b, c), 'k', 2, { hedgeAfterMs: 0 });
    expect(outcome).toMatchObject({ ok: true, confirmed: 2, failed: 1 });
    expect(c.gets).toBe(1);
  });

  it('hedges to another replica when one of the first R does not answer, instead of waiting for it', async () => {
    const silent = new DownstreamBreaker('d1', { timeoutMs: 60_000 });
    const [b, c] = [new ScriptedReplica('d2', 'ack'), new ScriptedReplica('d3', 'ack')];
    const outcome = await quorumRead(
      setOf(guardReplica(new ScriptedReplica('d1', 'hang'), silent), b, c),
      'k',
      2,
      {
        hedgeAfterMs: 20,
      },
    );
    expect(outcome).toMatchObject({ ok: true, confirmed: 2 });
    expect(c.gets).toBe(1);
    silent.shutdown();
  });

  it('asks replicas whose breaker is open last', async () => {
    const open = new DownstreamBreaker('d1', { resetTimeoutMs: 60_000 });
    open.trip();
    const a = new ScriptedReplica('d1', 'ack');
    const [b, c] = [new ScriptedReplica('d2', 'ack'), new ScriptedReplica('d3', 'ack')];
    const outcome = await quorumRead(setOf(guardReplica(a, open), b, c), 'k', 2);
    expect(outcome.ok).toBe(true);
    expect([a.gets, b.gets, c.gets]).toEqual([0, 1, 1]);
    open.shutdown();
  });

  it('fails with the count of replies when R cannot be reached', async () => {
    const outcome = await quorumRead(
      setOf(
        new ScriptedReplica('d1', 'refuse'),
        new ScriptedReplica('d2', 'ack'),
        new ScriptedReplica('d3', 'refuse'),
      ),
      'k',
      2,
    );
    expect(outcome).toMatchObject({ ok: false, confirmed: 1, required: 2, failed: 2 });
  });
});

describe('hedging under a budget', () => {
  it('does not hedge once the budget is spent, but still replaces replicas that fail', async () => {
    const budget = new HedgeBudget(0.1, 1);
    const silent = new DownstreamBreaker('d1', { timeoutMs: 60_000, volumeThreshold: 1000 });
    const hanging = guardReplica(new ScriptedReplica('d1', 'hang'), silent);
    const c = new ScriptedReplica('d3', 'ack');
    const first = await quorumRead(setOf(hanging, new ScriptedReplica('d2', 'ack'), c), 'k', 2, {
      hedgeAfterMs: 10,
      hedgeBudget: budget,
    });
    expect(first.ok).toBe(true); // the one hedge the budget had
    expect(c.gets).toBe(1);
    const unhedged = quorumRead(setOf(hanging, new ScriptedReplica('d2', 'ack'), c), 'k', 2, {
      hedgeAfterMs: 10,
      hedgeBudget: budget,
    });
    let decided = false;
    void unhedged.then(() => (decided = true));
    // the shared scheduler runs callbacks in the order scheduled: once ours runs, the read's hedge has had its turn
    await new Promise<void>((resolve) => hedgeSchedulerFor(10).schedule(resolve));
    expect(decided).toBe(false); // waits for the slow replica: no budget left to hedge
    expect(c.gets).toBe(1);
    const refused = await quorumRead(
      setOf(new ScriptedReplica('d1', 'refuse'), new ScriptedReplica('d2', 'ack'), c),
      'k',
      2,
      {
        hedgeAfterMs: 10,
        hedgeBudget: budget,
      },
    );
    expect(refused.ok).toBe(true); // a failed replica is replaced whatever the budget
    silent.shutdown();
  });
});
