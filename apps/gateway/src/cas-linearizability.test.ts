import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLinearizability, runCasWorkload, type RegisterOperation } from '@redoubt/chaos';
import { TestCluster } from './testing/test-cluster.js';

/**
 * Jepsen-style: concurrent conditional writes and serial reads on a few hot keys from clients of two
 * gateways, while data nodes are killed (SIGKILL, then restarted) and paused (SIGSTOP / SIGCONT), one at a
 * time. The whole history must be linearizable (libs/chaos checkLinearizability); the same history with
 * one read falsified must not be.
 */
let cluster: TestCluster;
let gateways: string[];

beforeAll(async () => {
  cluster = await TestCluster.start();
  const second = await cluster.startGateway('gw2', {});
  gateways = [cluster.gatewayUrl, second.options.readyUrl!.replace('/readyz', '')];
}, 180_000); // five processes to start on a shared machine

afterAll(async () => {
  await cluster?.stop();
});

/**
 * Pauses, kills (then restarts) and pauses data nodes, one at a time so a majority of every key's
 * replicas stays up, while the clients run; stops the clients 3 s after the last fault healed.
 */
async function faults(run: AbortController): Promise<string[]> {
  const done: string[] = [];
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const [d1, d2, d3] = cluster.dataNodeIds.map((id) => cluster.node(id));
  // a restart on a starved machine can take longer than the cluster's 60 s readiness bound: wait on, since
  // the next fault must not start before this node is back (a majority of every key's replicas stays up)
  const start = (node: NonNullable<typeof d1>) =>
    node.start().catch(async (error: unknown) => {
      if (!node.running()) throw error;
      await node.waitReady(240_000);
    });
  const plan: [string, () => Promise<void>][] = [
    ['pause data-1', async () => (d1!.pause(), await wait(3_000), d1!.resume())],
    ['kill data-2', async () => (await d2!.kill(), await wait(2_000), await start(d2!))],
    ['pause data-3', async () => (d3!.pause(), await wait(3_000), d3!.resume())],
    ['kill data-1', async () => (await d1!.kill(), await wait(2_000), await start(d1!))],
  ];
  await wait(2_000);
  for (const [name, fault] of plan) {
    await fault();
    done.push(name);
    await wait(1_000);
  }
  await wait(3_000);
  run.abort();
  return done;
}

describe('conditional writes under node kills and pauses', () => {
  it('from two gateways, the history of every key is linearizable', { timeout: 600_000 }, async () => {
    const run = new AbortController();
    const [injected, { history, answers }] = await Promise.all([
      faults(run),
      runCasWorkload({
        gateways,
        apiKey: cluster.apiKey,
        clients: 6,
        keys: 3,
        keyPrefix: 'hot-',
        timeoutMs: 5_000,
        signal: run.signal,
      }),
    ]);
    const ops = history.operations();
    const counts = history.counts();
    const writes = ops.filter((o) => o.input.kind === 'cas');
    const applied = writes.filter((o) => o.output?.kind === 'ok').length;
    const refused = writes.filter((o) => o.output?.kind === 'failed').length;
    const result = checkLinearizability(ops);
    console.log(
      `faults: ${injected.join(', ')}; operations ${ops.length} (answered ${counts.answered}, unknown ${counts.unknown}, ` +
        `not applied ${counts.refused}); writes applied ${applied}, 412 ${refused}; ` +
        `checker ${result.verdict} in ${result.ms.toFixed(0)} ms, ${result.steps} steps; ` +
        `write answers ${JSON.stringify(answers)}`,
    );
    expect(injected).toHaveLength(4);
    expect(applied).toBeGreaterThan(20);
    expect(refused).toBeGreaterThan(0); // the keys were contended
    expect(result.problems).toEqual([]);
    expect(result.verdict).toBe('linearizable');

    // the checker is not vacuous on this history: one acknowledged read made stale fails it
    const broken: RegisterOperation[] = structuredClone(ops);
    const reads = broken.filter((o) => o.output?.kind === 'read' && o.output.value !== null);
    const victim = reads[reads.length - 1]!;
    const earlier = writes.find(
      (w) =>
        w.key === victim.key &&
        w.output?.kind === 'ok' &&
        w.input.kind === 'cas' &&
        w.input.value !== null &&
        w.return! < victim.call - 1_000 &&
        w.input.value !== (victim.output as { value: string }).value,
    );
    if (earlier && earlier.input.kind === 'cas')
      (victim.output as { value: string | null }).value = earlier.input.value;
    else (victim.output as { value: string | null }).value = 'never-written';
    expect(checkLinearizability(broken).verdict).toBe('not-linearizable');
  });
});
