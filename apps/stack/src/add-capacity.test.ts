import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DataNodeClient } from '@redoubt/cluster-client';
import { partitionOf } from '@redoubt/hashing';
import { readStackFile, REPO_ROOT, waitFor, type StackFile } from '@redoubt/local-stack';
import { fromJSON, partitionsOf, type PlacementMatrix } from '@redoubt/placement';

// Adding capacity on `npm start`, as a user does it: the real stack (its defaults: 4096 partitions, three
// data nodes, the worker, a monitor driving the supervisor), then `redoubt node add d4 --zone z3 --start`
// from another terminal: the supervisor starts a fourth data node, the monitor places it, the worker moves
// its share; then that node crashes and is killed like the others.
const home = mkdtempSync(join(tmpdir(), 'redoubt-add-capacity-'));
const cli = resolve(REPO_ROOT, 'apps/cli/bin/redoubt.mjs');
let stack: ChildProcess | undefined;

afterAll(async () => {
  if (stack?.exitCode === null) {
    stack.kill('SIGINT');
    await new Promise((r) => stack?.once('exit', r));
  }
  rmSync(home, { recursive: true, force: true });
});

function redoubt(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, REDOUBT_HOME: home, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => done({ code, stdout, stderr }));
  });
}

const stackFile = () => readStackFile(join(home, 'stack.json')) as StackFile;
const statusJson = async () => JSON.parse((await redoubt('--json', 'status', '--events', '0')).stdout);
const placement = async (): Promise<PlacementMatrix> =>
  fromJSON(JSON.parse((await redoubt('--json', 'placement', 'show')).stdout).placement);
const control = async (path: string, method = 'GET') => {
  const file = stackFile();
  const res = await fetch(`${file.supervisor.control}${path}`, {
    method,
    headers: { 'x-redoubt-admin-key': file.keys.adminKey },
  });
  return (await res.json()) as { name: string; state: string; pid: number | null; restarts: number };
};

describe('adding capacity on npm start: redoubt node add --start', () => {
  it('starts a supervised fourth data node, places it (preview first), moves its share, and every key stays readable', async () => {
    let output = '';
    stack = spawn(
      process.execPath,
      ['--import', 'tsx', resolve(REPO_ROOT, 'apps/stack/src/main.ts'), '--quiet', '--gateways', '1'],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, REDOUBT_HOME: home, REDOUBT_BASE_PORT: '0', NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    stack.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    stack.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    await waitFor(
      'the stack',
      () => output.includes('Ctrl-C stops everything') || stack?.exitCode !== null,
      180_000,
      250,
    );
    expect(stack.exitCode, output).toBeNull();
    const file = stackFile();
    expect(file.cluster.partitions).toBe(4096);
    await waitFor(
      'epoch 1 from the leading monitor',
      async () => (await statusJson()).monitor.leader === true,
      60_000,
      500,
    );

    const gateway = file.gateways[0]!.url;
    const auth = { authorization: `Bearer ${file.keys.apiKey}` };
    const acked = new Map<string, string>();
    for (let i = 0; i < 300; i += 1) {
      const key = `capacity/${i}`;
      const value = `value ${i} `.repeat(8);
      const res = await fetch(`${gateway}/v1/kv/${encodeURIComponent(key)}`, {
        method: 'PUT',
        headers: { ...auth, 'content-type': 'application/octet-stream' },
        body: value,
      });
      if (res.ok) acked.set(key, value);
    }
    expect(acked.size).toBe(300);

    // Bad input: neither or both of --url and --start; an id the stack does not name its nodes by.
    const neither = await redoubt('node', 'add', 'd4', '--zone', 'z3');
    expect(neither.code).toBe(1);
    expect(neither.stderr).toContain('give --url <url> of a running data node, or --start');
    const badId = await redoubt('node', 'add', 'extra', '--zone', 'z3', '--start', '--yes');
    expect(badId.code).toBe(1);
    expect(badId.stderr).toMatch(/d1\.\.d30/);
    expect((await statusJson()).placement.epoch).toBe(1);

    // The preview, not confirmed: nothing is started, nothing changes.
    const preview = await redoubt('node', 'add', 'd4', '--zone', 'z3', '--start');
    expect(preview.code).toBe(2);
    expect(preview.stdout).toContain('add d4: epoch 1 -> 2');
    expect(preview.stderr).toContain('run again with --yes');
    expect(stackFile().processes.some((p) => p.name === 'data-4')).toBe(false);

    const added = await redoubt('node', 'add', 'd4', '--zone', 'z3', '--start', '--yes');
    console.log(added.stdout);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toContain('add d4: epoch 1 -> 2');
    expect(added.stdout).toMatch(/started d4 \(process data-4\) on http:\/\/127\.0\.0\.1:\d+/);
    expect(added.stdout).toContain('applied: placement epoch 2');
    const d4 = stackFile().processes.find((p) => p.name === 'data-4')!;
    expect(d4).toMatchObject({ role: 'data', id: 'd4', state: 'running', dir: join(home, 'data', 'd4') });
    expect(stackFile().dataNodes.map((n) => n.id)).toEqual(['d1', 'd2', 'd3', 'd4']);
    expect(JSON.parse(readFileSync(join(home, 'cluster.json'), 'utf8')).addedDataNodes).toEqual([4]);

    const startedAt = Date.now();
    await waitFor(
      'epoch 2 moved in full',
      async () => {
        const status = await statusJson();
        return (
          status.placement.epoch === 2 &&
          status.redundancy.pendingMoves === 0 &&
          status.redundancy.belowR === 0 &&
          status.nodes.find((n: { id: string }) => n.id === 'd4')?.membership === 'active'
        );
      },
      480_000,
      1_000,
    );
    console.log(`epoch 2 converged ${Date.now() - startedAt} ms after node add`);

    // Every key reads back with its value, and each node holds exactly the keys of its partitions: the new
    // one its share (about a quarter of the replicas), the old owners no longer the moved ones.
    for (const [key, value] of acked) {
      const res = await fetch(`${gateway}/v1/kv/${encodeURIComponent(key)}`, { headers: auth });
      expect(await res.text(), key).toBe(value);
    }
    const matrix = await placement();
    expect(matrix.epoch).toBe(2);
    expect(matrix.servers.find((s) => s.id === 'd4')?.zone).toBe('z3');
    const share = partitionsOf(matrix, 'd4').length / (4096 * 3);
    expect(share).toBeGreaterThan(0.24);
    expect(share).toBeLessThan(0.26);
    for (const node of stackFile().dataNodes) {
      const client = new DataNodeClient({ id: node.id, url: node.url, clusterToken: file.keys.clusterToken });
      const held = (await client.listPartitions()).reduce((sum, p) => sum + p.records, 0);
      const owned = new Set(partitionsOf(matrix, node.id));
      const expected = [...acked.keys()].filter((k) => owned.has(partitionOf(k))).length;
      await client.close();
      expect(held, node.id).toBe(expected);
      if (node.id === 'd4') expect(expected).toBeGreaterThan(40);
    }

    // Supervised like the others: a crash is restarted by the supervisor, a kill by the monitor (through
    // the supervisor's control API, under the process name data-4).
    const before = await control('/v1/processes/data-4');
    await control('/v1/processes/data-4/crash', 'POST');
    await waitFor(
      'data-4 restarted by the supervisor',
      async () => {
        const now = await control('/v1/processes/data-4');
        return now.state === 'running' && now.pid !== before.pid;
      },
      60_000,
      250,
    );
    await control('/v1/processes/data-4/kill', 'POST');
    await waitFor(
      'data-4 brought back by the monitor',
      async () => {
        const now = await control('/v1/processes/data-4');
        return now.state === 'running';
      },
      60_000,
      250,
    );
    await waitFor(
      'the monitor sees d4 up',
      async () => {
        const node = (await statusJson()).nodes.find((n: { id: string }) => n.id === 'd4');
        return node?.health === 'up';
      },
      60_000,
      500,
    );
  }, 900_000);
});
