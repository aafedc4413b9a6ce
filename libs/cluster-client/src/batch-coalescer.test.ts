import { describe, expect, it } from 'vitest';
import { RedoubtError } from '@redoubt/errors';
import { BatchCoalescer, type CoalescerOptions } from './batch-coalescer.js';
import type { BatchOp, BatchResult } from './internal-protocol.js';

/** A controllable node: records every batch it receives and answers when the test says so. */
function harness(options: Partial<CoalescerOptions> = {}) {
  const batches: { ops: BatchOp[]; answer(results?: BatchResult[]): void; fail(error: Error): void }[] = [];
  const coalescer = new BatchCoalescer(
    (ops) =>
      new Promise<BatchResult[]>((resolve, reject) => {
        batches.push({
          ops,
          answer: (results) => resolve(results ?? ops.map(() => ({ status: 'applied', current: 'v' }))),
          fail: reject,
        });
      }),
    { maxInFlight: 2, maxBatchOps: 100, maxBatchBytes: 1_000, maxQueued: 50, ...options },
    'n1',
  );
  const get = (key: string, timeoutMs = 10_000, signal?: AbortSignal) =>
    coalescer.submit({ op: 'get', partition: 0, key }, 10, timeoutMs, signal);
  return { coalescer, batches, get };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('BatchCoalescer', () => {
  it('sends a call at once while slots are free', async () => {
    const { batches, get } = harness();
    const first = get('a');
    await tick();
    expect(batches).toHaveLength(1);
    batches[0]!.answer();
    await first;
    const second = get('b');
    await tick();
    expect(batches.map((b) => b.ops.length)).toEqual([1, 1]);
    batches[1]!.answer();
    await second;
  });

  it('accumulates calls while every slot is busy and sends them as one batch when a slot frees', async () => {
    const { batches, get } = harness();
    const early = [get('a')];
    await tick();
    early.push(get('b'));
    await tick();
    expect(batches).toHaveLength(2); // both slots busy now
    const waiting = ['c', 'd', 'e', 'f'].map((k) => get(k));
    await tick();
    expect(batches).toHaveLength(2);
    batches[0]!.answer();
    await tick();
    expect(batches).toHaveLength(3);
    expect(batches[2]!.ops.map((o) => (o as { key: string }).key)).toEqual(['c', 'd', 'e', 'f']);
    batches[1]!.answer();
    batches[2]!.answer();
    await Promise.all([...early, ...waiting]);
  });

  it('splits batches by op count and by bytes', async () => {
    const { batches, get } = harness({ maxInFlight: 10, maxBatchOps: 3, maxBatchBytes: 25 });
    const calls = Array.from({ length: 7 }, (_, i) => get(`k${i}`)); // 10 bytes each: 2 per batch by bytes
    await tick();
    expect(batches.map((b) => b.ops.length)).toEqual([2, 2, 2, 1]);
    batches.forEach((b) => b.answer());
    await Promise.all(calls);
  });

  it('times out each op on its own, never sending one that timed out while queued', async () => {
    const { batches, get } = harness({ maxInFlight: 1 });
    const inFlight = get('a', 30);
    await tick();
    const queued = get('b', 30);
    await expect(inFlight).rejects.toMatchObject({ code: 'REPLICA_TIMEOUT' });
    await expect(queued).rejects.toMatchObject({ code: 'REPLICA_TIMEOUT' });
    batches[0]!.answer(); // late answer: ignored
    await tick();
    expect(batches).toHaveLength(1);
  });

  it('fails on abort, on a whole-batch error, when the queue is full, and after close', async () => {
    const { coalescer, batches, get } = harness({ maxInFlight: 1, maxQueued: 2 });
    const controller = new AbortController();
    const sent = get('a');
    await tick();
    const aborted = get('b', 10_000, controller.signal);
    const queued = get('c');
    await expect(get('d')).rejects.toMatchObject({ code: 'REPLICA_UNAVAILABLE' }); // queue full
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'REPLICA_TIMEOUT' });
    batches[0]!.fail(Object.assign(new Error('boom'), { code: 'X' }));
    await expect(sent).rejects.toMatchObject({ code: 'INTERNAL' });
    await tick();
    expect(batches[1]!.ops).toHaveLength(1); // only c: b was aborted before it left
    coalescer.close(new RedoubtError('REPLICA_UNAVAILABLE'));
    await expect(get('e')).rejects.toMatchObject({ code: 'REPLICA_UNAVAILABLE' });
    batches[1]!.answer([{ record: null }]);
    await expect(queued).resolves.toEqual({ record: null });
  });
});
