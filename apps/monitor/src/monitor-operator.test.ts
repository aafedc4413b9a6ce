import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { REPO_ROOT } from '@redoubt/local-stack';
import { partitionsOf } from '@redoubt/placement';
import type { ChangePreview } from '@redoubt/recovery';
import { KEYS, MonitorFixture, waitFor } from './testing/monitor-fixture.js';

/**
 * Operator changes end to end, through the `redoubt` command line: preview (bytes from the data nodes,
 * time at the bandwidth), drain, remove, add back; each one until every partition has R equal replicas.
 */
let cluster: MonitorFixture;
const acked = new Map<string, string>();
const bin = resolve(REPO_ROOT, 'apps/cli/bin/redoubt.mjs');

beforeAll(async () => {
  cluster = await MonitorFixture.start({
    dataNodes: 4,
    gateway: true,
    worker: true,
    monitorEnv: { BANDWIDTH_MBPS: '50' },
  });
  for (let i = 0; i < 120; i++) {
    const key = `op-${i}`;
    const value = `value ${i} `.repeat(20);
    if (await cluster.put(key, value)) acked.set(key, value);
  }
});
afterAll(() => cluster?.stop());

function redoubt(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: {
        ...process.env,
        REDOUBT_MONITOR_URL: cluster.monitors[0]!.url,
        REDOUBT_ADMIN_KEY: KEYS.admin,
        REDOUBT_HOME: '/nonexistent',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => done({ code: code ?? -1, stdout, stderr }));
  });
}

async function converged(epoch: number): Promise<boolean> {
  const status = await cluster.status();
  if (status.placement.epoch !== epoch || status.redundancy.pendingMoves > 0 || status.redundancy.belowR > 0)
    return false;
  const matrix = await cluster.placement();
  return (
    (await cluster.divergentPartitions(matrix)).length === 0 &&
    (await cluster.missingKeys(matrix, acked)).length === 0
  );
}

describe('operator changes through the redoubt CLI', () => {
  it('status and placement show print readable tables', async () => {
    const status = await redoubt('status');
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('placement epoch 1 (redis): 64 partitions x 3 replicas, W=2');
    expect(status.stdout).toMatch(/d4 .*up .*active .*48/);
    const show = await redoubt('placement', 'show', '--partition', '5');
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/partition 5: d\d, d\d, d\d \(primary first\)/);
    const json = JSON.parse((await redoubt('--json', 'status')).stdout);
    expect(json.monitor.leader).toBe(true);
  });

  it('plan: bytes come from the data nodes, the time from the bandwidth', async () => {
    const plan = await redoubt('--json', 'placement', 'plan', 'drain', 'd4');
    expect(plan.code, plan.stderr).toBe(0);
    const preview = JSON.parse(plan.stdout) as ChangePreview;
    // What d4 holds, sized as the nodes report it (the largest copy of each partition).
    const matrix = await cluster.placement();
    const sizes = new Map<number, number>();
    for (const id of ['d1', 'd2', 'd3', 'd4'])
      for (const p of await cluster.client(id).listPartitions())
        sizes.set(p.partition, Math.max(sizes.get(p.partition) ?? 0, p.bytes));
    const expected = partitionsOf(matrix, 'd4').reduce((sum, p) => sum + (sizes.get(p) ?? 0), 0);
    expect(preview.bytes).toBe(expected);
    expect(preview.bytes).toBeGreaterThan(0);
    expect(preview.estimatedSeconds).toBeCloseTo(expected / 50e6, 3);
    expect(preview.moves).toBe(partitionsOf(matrix, 'd4').length);
    expect(preview.exposure).toHaveLength(preview.partitionsAffected);
    const text = await redoubt('placement', 'plan', 'drain', 'd4');
    expect(text.stdout).toContain('drain d4: epoch 1 -> 2');
  });

  it('drain: previewed, not applied without --yes, refused on a stale epoch, applied with --yes', async () => {
    const unconfirmed = await redoubt('node', 'drain', 'd4');
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stdout).toContain('drain d4: epoch 1 -> 2');
    expect(unconfirmed.stderr).toContain('run again with --yes');
    expect((await cluster.status()).placement.epoch).toBe(1);

    const stale = await fetch(`${cluster.monitors[0]!.url}/v1/nodes/d4/drain`, {
      method: 'POST',
      headers: { 'x-redoubt-admin-key': KEYS.admin, 'content-type': 'application/json' },
      body: JSON.stringify({ expectedEpoch: 7 }),
    });
    expect(stale.status).toBe(409);
    expect(((await stale.json()) as { error: { code: string } }).error.code).toBe('PLACEMENT_STALE_EPOCH');

    const applied = await redoubt('node', 'drain', 'd4', '--yes');
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('applied: placement epoch 2');
    await waitFor(
      'd4 drained',
      async () => (await cluster.status()).nodes.find((n) => n.id === 'd4')?.membership === 'drained',
      120_000,
      500,
    );
    await waitFor('epoch 2 converged', () => converged(2), 120_000, 500);
    // The old copies were dropped after the verified moves.
    expect((await cluster.client('d4').listPartitions()).every((p) => p.records === 0)).toBe(true);
  });

  it('remove forgets a drained node; add brings it back with its share', async () => {
    const removed = await redoubt('node', 'remove', 'd4', '--yes');
    expect(removed.code, removed.stderr).toBe(0);
    await waitFor('d4 forgotten', async () => !(await cluster.status()).nodes.some((n) => n.id === 'd4'));

    const d4 = cluster.dataNodes.find((n) => n.id === 'd4')!;
    const added = await redoubt('node', 'add', 'd4', '--url', d4.url, '--zone', 'd4', '--yes');
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toContain('add d4: epoch 2 -> 3');
    await waitFor('epoch 3 converged', () => converged(3), 120_000, 500);
    expect((await cluster.status()).nodes.find((n) => n.id === 'd4')).toMatchObject({
      membership: 'active',
      health: 'up',
    });
  });

  it('refuses to add a node that does not answer', async () => {
    const res = await fetch(`${cluster.monitors[0]!.url}/v1/nodes`, {
      method: 'POST',
      headers: { 'x-redoubt-admin-key': KEYS.admin, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'd9', url: 'http://127.0.0.1:1' }),
    });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('REPLICA_UNAVAILABLE');
    expect((await cluster.status()).services.some((s) => s.name === 'd9')).toBe(false);
  });

  it('answers 400 with a JSON error to a malformed or wrong admin body', async () => {
    const post = (path: string, body: string) =>
      fetch(`${cluster.monitors[0]!.url}${path}`, {
        method: 'POST',
        headers: { 'x-redoubt-admin-key': KEYS.admin, 'content-type': 'application/json' },
        body,
      });
    const cases: [string, string, RegExp][] = [
      ['/v1/nodes', '{"id": "d9", "url": ', /JSON|Unexpected|Expected/i],
      ['/v1/nodes', '{"id": "d9", "url": "ftp://x"}', /^url: /],
      ['/v1/placement/plan', '{"action": "drain", "node": "bad id!"}', /^node: /],
      ['/v1/nodes/d4/drain', '{"expectedEpoch": "seven"}', /^expectedEpoch: /],
    ];
    for (const [path, body, message] of cases) {
      const res = await post(path, body);
      expect(res.status, body).toBe(400);
      const answer = (await res.json()) as { error: { code: string; message: string } };
      expect(answer.error.code).toBe('BODY_INVALID');
      expect(answer.error.message, body).toMatch(message);
    }
  });

  it('counts refused admin keys in redoubt_auth_failures_total', async () => {
    const url = cluster.monitors[0]!.url;
    const invalid = async () => {
      const text = await (await fetch(`${url}/metrics`)).text();
      const line = text.split('\n').find((l) => /^redoubt_auth_failures_total\{.*reason="invalid"/.test(l));
      return Number(line?.split(' ').pop());
    };
    const before = await invalid();
    const res = await fetch(`${url}/v1/nodes`, {
      method: 'POST',
      headers: { 'x-redoubt-admin-key': 'not-the-admin-key-0123456789', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(403);
    expect(await invalid()).toBe(before + 1);
  });
});
