import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLinearizability, RegisterHistory, type RegisterOperation } from '@redoubt/chaos';
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

const KEYS = ['hot-a', 'hot-b', 'hot-c'];
/** Answers by status and code, printed with the figures (how often a round ended unknown, and why). */
const answers = new Map<string, number>();
const tally = (what: string) => answers.set(what, (answers.get(what) ?? 0) + 1);

/** One client: read a key (serial), then write over what it read, until the run ends. */
async function client(
  name: string,
  gateway: string,
  history: RegisterHistory,
  run: { on: boolean },
): Promise<void> {
  let n = 0;
  const call = (key: string, init: RequestInit & { headers: Record<string, string> }) =>
    fetch(`${gateway}/v1/kv/${key}`, {
      ...init,
      headers: { authorization: `Bearer ${cluster.apiKey}`, ...init.headers },
      signal: AbortSignal.timeout(5_000),
    });
  while (run.on) {
    const key = KEYS[Math.floor(Math.random() * KEYS.length)]!;
    const read = history.invoke(name, key, { kind: 'read' });
    let current: { value: string; etag: string } | null;
    try {
      const res = await call(key, { headers: { 'x-redoubt-consistency': 'serial' } });
      const text = await res.text();
      if (res.status === 200) current = { value: text, etag: res.headers.get('etag')! };
      else if (res.status === 404) current = null;
      else {
        read.failed(); // a read that did not answer observed nothing
        continue;
      }
      read.ok({ kind: 'read', value: current?.value ?? null });
    } catch {
      read.failed();
      continue;
    }

    const value = `${name}-${n++}`;
    const remove = current !== null && Math.random() < 0.2;
    const op = history.invoke(name, key, {
      kind: 'cas',
      expect: current ? { kind: 'value', value: current.value } : { kind: 'absent' },
      value: remove ? null : value,
    });
    try {
      const headers: Record<string, string> = current
        ? { 'if-match': current.etag }
        : { 'if-none-match': '*' };
      const res = await call(
        key,
        remove ? { method: 'DELETE', headers } : { method: 'PUT', body: value, headers },
      );
      const body =
        res.status >= 400
          ? ((await res.json()) as { error: { code: string; details: { outcome?: string } } })
          : null;
      tally(`${res.status}${body ? ` ${body.error.code} ${body.error.details.outcome ?? ''}` : ''}`);
      if (res.status === 201 || res.status === 204) op.ok({ kind: 'ok' });
      else if (res.status === 412) op.ok({ kind: 'failed' });
      else if (body?.error.code === 'CONSENSUS_NOT_REACHED' && body.error.details.outcome === 'not-applied') {
        op.failed();
      } else op.unknown();
    } catch {
      tally('no answer');
      op.unknown(); // timed out or the connection broke: may or may not have happened
    }
  }
}

/**
 * Pauses, kills (then restarts) and pauses data nodes, one at a time so a majority of every key's
 * replicas stays up, while the clients run; stops the clients 3 s after the last fault healed.
 */
async function faults(run: { on: boolean }): Promise<string[]> {
  const done: string[] = [];
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const [d1, d2, d3] = cluster.dataNodeIds.map((id) => cluster.node(id));
  const plan: [string, () => Promise<void>][] = [
    ['pause data-1', async () => (d1!.pause(), await wait(3_000), d1!.resume())],
    ['kill data-2', async () => (await d2!.kill(), await wait(2_000), await d2!.start())],
    ['pause data-3', async () => (d3!.pause(), await wait(3_000), d3!.resume())],
    ['kill data-1', async () => (await d1!.kill(), await wait(2_000), await d1!.start())],
  ];
  await wait(2_000);
  for (const [name, fault] of plan) {
    await fault();
    done.push(name);
    await wait(1_000);
  }
  await wait(3_000);
  run.on = false;
  return done;
}

describe('conditional writes under node kills and pauses', () => {
  it('from two gateways, the history of every key is linearizable', { timeout: 180_000 }, async () => {
    const history = new RegisterHistory();
    const run = { on: true };
    const [injected] = await Promise.all([
      faults(run),
      ...Array.from({ length: 6 }, (_, i) => client(`c${i}`, gateways[i % 2]!, history, run)),
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
        `write answers ${JSON.stringify(Object.fromEntries(answers))}`,
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
