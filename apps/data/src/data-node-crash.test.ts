import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataNodeClient } from '@redoubt/cluster-client';
import { appEntry, freePort, REPO_ROOT, waitFor, waitForPort } from '@redoubt/local-stack';
import { partitionOf } from '@redoubt/hashing';
import { record, startDataNode, TOKEN, version, type DataNodeHandle } from './testing/data-node-process.js';

let node: DataNodeHandle | undefined;
afterEach(async () => {
  await node?.dispose();
  node = undefined;
});

describe('data node durability', () => {
  it('keeps every acknowledged write through kill -9 and restart', async () => {
    node = await startDataNode({ id: 'crash', partitions: 64 });
    const client = node.client();
    const records = Array.from({ length: 200 }, (_, i) =>
      record(`crash-key-${i}`, Buffer.alloc(100 + i, i % 256), version(1_000 + i)),
    );
    // 200 concurrent puts; each is acknowledged only after its commit is fsynced.
    const outcomes = await Promise.all(records.map((r) => client.put(partitionOf(r.key, 64), r)));
    expect(outcomes.every((o) => o.status === 'applied')).toBe(true);
    const partitions = [...new Set(records.map((r) => partitionOf(r.key, 64)))];
    const digests = await Promise.all(partitions.map((p) => client.digest(p)));
    await node.process.kill(); // SIGKILL right after the acknowledgements
    await node.process.start();
    const after = node.client();
    const got = await Promise.all(records.map((r) => after.get(partitionOf(r.key, 64), r.key)));
    got.forEach((g, i) => {
      expect(g?.version).toBe(records[i]!.version);
      expect(Buffer.from(g!.value).equals(Buffer.from(records[i]!.value))).toBe(true);
    });
    const scrub = await after.scrub();
    expect(scrub).toEqual({ checked: 200, corrupt: [] });
    // Digests are recounted in the background after the crash (503 meanwhile), then equal the old ones.
    const recounted = await waitFor('digests after the recount', () =>
      Promise.all(partitions.map((p) => after.digest(p))),
    );
    expect(recounted).toEqual(digests);
  });

  it('shuts down cleanly on SIGTERM (exit 0, store closed) and reopens with its data', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'redoubt-data-term-'));
    const port = await freePort();
    const env = {
      ...process.env,
      NODE_ID: 'term',
      DATA_PORT: String(port),
      DATA_DIR: dir,
      CLUSTER_TOKEN: TOKEN,
      PARTITIONS: '16',
      LOG_LEVEL: 'info',
    };
    const run = () => {
      const child = spawn(process.execPath, ['--import', 'tsx', appEntry('data')], {
        cwd: REPO_ROOT,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      return { child, exited, output: () => output };
    };
    try {
      const first = run();
      await waitForPort(port, 30_000);
      const client = new DataNodeClient({ id: 'term', url: `http://127.0.0.1:${port}`, clusterToken: TOKEN });
      const r = record('term-key', 'kept', version(7));
      // The put is in flight when SIGTERM arrives: the node finishes it before closing the store.
      // Settled-watched from the start: it may fail (the node shutting down) before the test looks at it.
      const pending = Promise.allSettled([client.put(partitionOf(r.key, 16), r)]);
      await new Promise((resolve) => setTimeout(resolve, 5));
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);
      expect(first.output()).toMatch(/shutting down/);
      const settled = await pending;

      const second = run();
      await waitForPort(port, 30_000);
      const reopened = new DataNodeClient({
        id: 'term',
        url: `http://127.0.0.1:${port}`,
        clusterToken: TOKEN,
      });
      for (let i = 0; i < 100 && !(await reopened.ready()); i++) await new Promise((r) => setTimeout(r, 50));
      const got = await reopened.get(partitionOf(r.key, 16), r.key);
      // Acknowledged means durable; a put cut off by the shutdown may or may not have landed.
      if (settled[0]!.status === 'fulfilled') expect(got?.version).toBe(r.version);
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
      await Promise.all([client.close(), reopened.close()]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start with an invalid environment, naming the variables', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', appEntry('data')], {
      cwd: REPO_ROOT,
      env: { ...process.env, NODE_ID: 'bad id', DATA_DIR: '', CLUSTER_TOKEN: 'short', DATA_PORT: '70000' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    for (const name of ['NODE_ID', 'DATA_DIR', 'CLUSTER_TOKEN', 'DATA_PORT']) expect(stderr).toContain(name);
  });
});
