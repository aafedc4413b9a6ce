import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { askSentinel, readStackFile, startLocalStack, type LocalStack } from './index.js';

// `--redis sentinel` without the apps: redis, redis-replica and three sentinels, supervised, real processes.
const home = mkdtempSync(join(tmpdir(), 'redoubt-sentinel-stack-'));
let stack: LocalStack | undefined;
afterAll(async () => {
  await stack?.stop();
  rmSync(home, { recursive: true, force: true });
});

const start = (redis: 'single' | 'sentinel', ports: Record<string, number> = {}) =>
  startLocalStack({ home, redis, dataNodes: 0, gateways: 0, worker: false, ports });

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function role(port: number): Promise<string> {
  const client = new Redis(port, '127.0.0.1', {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return /role:(\w+)/.exec(await client.info('replication'))?.[1] ?? '';
  } finally {
    client.disconnect();
  }
}

describe('the local stack with --redis sentinel', () => {
  it('runs master, replica and three sentinels; fails over on SIGKILL; keeps the roles across runs; a single run resets them', async () => {
    stack = await start('sentinel');
    expect(stack.processes().map((p) => p.name)).toEqual([
      'redis',
      'redis-replica',
      'sentinel-1',
      'sentinel-2',
      'sentinel-3',
    ]);
    const port = (name: string) => stack!.instances.find((i) => i.name === name)!.port;
    const sentinels = ['sentinel-1', 'sentinel-2', 'sentinel-3'].map(port);
    expect(stack.clusterEnv).toMatchObject({
      REDIS_SENTINELS: sentinels.map((p) => `127.0.0.1:${p}`).join(','),
      REDIS_SENTINEL_NAME: 'redoubt',
    });
    expect(stack.clusterEnv.REDIS_URL).toBeUndefined();
    expect(readStackFile(stack.stackFile)?.redis).toEqual({
      url: '',
      sentinels: sentinels.map((p) => `127.0.0.1:${p}`).join(','),
      sentinelName: 'redoubt',
    });
    expect(readFileSync(join(home, 'redis-replica', 'redis.conf'), 'utf8')).toContain(
      `replicaof 127.0.0.1 ${port('redis')}`,
    );
    const master = () => askSentinel(sentinels[0]!);
    expect((await until('the sentinels to know the master', master, 10_000)).port).toBe(port('redis'));
    await until(
      'the replica in sync',
      async () => ((await role(port('redis-replica'))) === 'slave' ? true : undefined),
      10_000,
    );

    // SIGKILL of the master: the sentinels promote the replica; the supervisor brings the old one back
    // after 5 s, and the sentinels make it a replica of the new master.
    const killedAt = Date.now();
    await stack.process('redis').crash();
    await until(
      'a new master',
      async () => ((await master())?.port === port('redis-replica') ? true : undefined),
      10_000,
    );
    expect(Date.now() - killedAt).toBeLessThan(10_000);
    await until(
      'the old master back as a replica',
      async () => ((await role(port('redis'))) === 'slave' ? true : undefined),
      40_000,
    );
    const ports = Object.fromEntries(stack.instances.map((i) => [i.name, i.port]));
    await stack.stop();

    // Same ports again: the files Redis rewrote are kept, the master is still the promoted replica.
    stack = await start('sentinel', ports);
    await until('the sentinels to answer', master, 10_000);
    expect((await master())?.port).toBe(port('redis-replica'));
    expect(await role(port('redis'))).toBe('slave');
    await stack.stop();

    // A run without Sentinel writes to `redis` alone; the next sentinel run starts over from it.
    stack = await start('single', ports);
    expect(stack.processes().map((p) => p.name)).toEqual(['redis']);
    await stack.stop();
    stack = await start('sentinel', ports);
    expect((await until('the sentinels to answer', master, 10_000)).port).toBe(port('redis'));
    await until(
      'the replica following redis',
      async () => ((await role(port('redis-replica'))) === 'slave' ? true : undefined),
      20_000,
    );
  }, 180_000);
});
