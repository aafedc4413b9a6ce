import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSecret, startLocalStack, type LocalStack, type StackKeys } from '@redoubt/local-stack';
import { runCli } from '../../testing/run-cli.js';

// The disaster a new user rehearses, at the defaults: `npm start`'s stack (4096 partitions, real data
// nodes, a gateway, the backup-worker with scheduled backups, real redis-server), keys written through
// the gateway, `redoubt backup now`, every data node's directory deleted, `redoubt restore` through the
// worker (the CLI's default path), and every acknowledged key read back with its exact value.
const KEYS = 500;
let home: string;
let stack: LocalStack | undefined;
const keys: StackKeys = {
  apiKey: generateSecret(),
  adminKey: generateSecret(),
  clusterToken: generateSecret(),
};

const redoubt = (args: string[]) => runCli(args, { REDOUBT_HOME: home }, 240_000);

function start(): Promise<LocalStack> {
  return startLocalStack({
    home,
    dataNodes: 3,
    gateways: 1,
    worker: true,
    backups: true,
    keys,
    instances: { monitor: 1 },
    log: 'ignore',
    readyTimeoutMs: 120_000,
  });
}

async function kv(key: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${stack!.gateways[0]!.url}/v1/kv/${encodeURIComponent(key)}`, {
    ...init,
    headers: { authorization: `Bearer ${keys.apiKey}` },
    signal: AbortSignal.timeout(20_000),
  });
}

const valueOf = (i: number) => `value of key ${i}: ${'x'.repeat(i % 97)}`;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'redoubt-whole-restore-'));
  stack = await start();
}, 300_000);

afterAll(async () => {
  await stack?.stop();
  if (home) await rm(home, { recursive: true, force: true });
}, 120_000);

describe('whole-cluster restore through the default CLI path', { timeout: 900_000 }, () => {
  it('backs up, survives every data node losing its disk, and restores every key through the worker', async () => {
    for (let i = 0; i < KEYS; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, KEYS - i) }, async (_, j) => {
          const res = await kv(`k-${i + j}`, { method: 'PUT', body: valueOf(i + j) });
          expect(res.status, await res.text()).toBeLessThan(300);
        }),
      );
    }

    // The drill scheduled at start finds no backup yet: skipped at info level, not an error.
    const workerLog = () => readFile(join(home, 'logs', 'backup-worker.log'), 'utf8').catch(() => '');
    expect(await workerLog()).toContain('no backups yet; drill skipped');
    expect(await workerLog()).not.toContain('restore drill failed');

    const backup = await redoubt(['backup', 'now', '--json']);
    expect(backup.code, backup.stderr + backup.stdout).toBe(0);
    const backupReport = JSON.parse(backup.stdout) as { ok: boolean; failed: number; records: number };
    expect(backupReport).toMatchObject({ ok: true, failed: 0 });
    console.log(`backup now of ${KEYS} keys: ${backup.ms} ms`);
    expect(backupReport.records).toBeGreaterThanOrEqual(KEYS * 2); // every key, on each of its 2 targets

    // A summary per target by default, not one row per partition.
    const list = await redoubt(['backup', 'list']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/target t1 .*: \d+ partition\(s\) covered/);
    expect(list.stdout).toContain('problems: none');
    expect(list.stdout.split('\n').length).toBeLessThan(30);

    // Every queue, the backup and restore ones too, and the RPO now.
    const status = await redoubt(['status', '--json']);
    expect(status.code, status.stderr).toBe(0);
    const seen = JSON.parse(status.stdout) as {
      queues: Record<string, unknown>;
      backups: { rpoMs: number | null; partitionsWithData: number } | null;
    };
    expect(Object.keys(seen.queues)).toEqual(expect.arrayContaining(['backup', 'restore', 'replicate']));
    expect(seen.backups?.partitionsWithData).toBeGreaterThan(0);
    expect(seen.backups?.rpoMs).toBeLessThan(120_000);

    await stack!.stop();
    stack = undefined;
    await rm(join(home, 'data'), { recursive: true, force: true });
    stack = await start();
    expect((await kv('k-1')).status).toBe(404);

    const restored = await redoubt(['restore', '--json']);
    expect(restored.code, restored.stderr + restored.stdout.slice(0, 4000)).toBe(0);
    const report = JSON.parse(restored.stdout) as { ok: boolean; total: number; restored: number };
    expect(report).toMatchObject({ ok: true, total: 4096, restored: 4096 });
    console.log(`restore of 4096 partitions: ${restored.ms} ms`);

    const wrong: string[] = [];
    for (let i = 0; i < KEYS; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, KEYS - i) }, async (_, j) => {
          const res = await kv(`k-${i + j}`);
          const body = await res.text();
          if (res.status !== 200 || body !== valueOf(i + j)) wrong.push(`k-${i + j}: ${res.status}`);
        }),
      );
    }
    expect(wrong).toEqual([]);
  });
});
