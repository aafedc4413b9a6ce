import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pidAlive, readStackFile, startLocalStack, type LocalStack } from './index.js';

// The real thing: redis-server, apps/data, apps/gateway (and apps/backup-worker once it exists), each a
// process on a free loopback port, in a temporary home.
const home = mkdtempSync(join(tmpdir(), 'redoubt-local-stack-'));
let stack: LocalStack | undefined;

afterAll(async () => {
  await stack?.stop();
  rmSync(home, { recursive: true, force: true });
});

async function put(gateway: string, key: string, value: string, apiKey: string): Promise<Response> {
  return fetch(`${gateway}/v1/kv/${encodeURIComponent(key)}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/octet-stream' },
    body: value,
  });
}

async function get(gateway: string, key: string, apiKey: string): Promise<Response> {
  return fetch(`${gateway}/v1/kv/${encodeURIComponent(key)}`, {
    headers: { authorization: `Bearer ${apiKey}` },
  });
}

describe('the redoubt local stack', () => {
  it('runs the system redis-server supervised: AOF, noeviction, its own directory, back after kill -9', async () => {
    const redisHome = mkdtempSync(join(tmpdir(), 'redoubt-local-redis-'));
    const only = await startLocalStack({ home: redisHome, dataNodes: 0, gateways: 0, worker: false });
    const client = new Redis(only.redisUrl, { maxRetriesPerRequest: null });
    client.on('error', () => undefined); // refused connections while redis is down are expected
    try {
      expect(only.processes().map((p) => p.name)).toEqual(['redis']);
      expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
      expect(await client.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
      expect(await client.config('GET', 'dir')).toEqual(['dir', join(redisHome, 'redis')]);
      expect(await client.config('GET', 'bind')).toEqual(['bind', '127.0.0.1']);

      const redis = only.process('redis');
      const before = redis.pid()!;
      process.kill(before, 'SIGKILL');
      await redis.waitFor((s) => s.state === 'running' && s.pid !== before, 30_000);
      expect(await client.ping()).toBe('PONG');
    } finally {
      client.disconnect();
      await only.stop();
      rmSync(redisHome, { recursive: true, force: true });
    }
  });

  it('runs redis, three data nodes and two gateways; PUT/GET through a gateway; data survives a stack restart', async () => {
    stack = await startLocalStack({ home, worker: true });
    const { keys } = stack;

    const names = stack.processes().map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['redis', 'data-1', 'data-2', 'data-3', 'gw-1', 'gw-2']));
    expect(stack.processes().every((p) => p.status().state === 'running')).toBe(true);

    expect(statSync(stack.stackFile).mode & 0o777).toBe(0o600);
    const file = readStackFile(stack.stackFile)!;
    expect(file.state).toBe('running');
    expect(file.keys).toEqual(keys);
    expect(file.gateways.map((g) => g.url)).toEqual(stack.gateways.map((g) => g.url));
    expect(file.dataNodes.map((d) => d.id)).toEqual(['d1', 'd2', 'd3']);
    expect(file.processes.every((p) => p.pid !== null && pidAlive(p.pid))).toBe(true);

    const [first, second] = stack.gateways.map((g) => g.url);
    const written = await put(first!, 'greeting', 'hello, redoubt', keys.apiKey);
    expect(written.status).toBeLessThan(300);
    const read = await get(second!, 'greeting', keys.apiKey);
    expect(read.status).toBe(200);
    expect(await read.text()).toBe('hello, redoubt');
    expect((await get(first!, 'greeting', 'not-the-key-not-the-key')).status).toBe(403);

    const pids = stack.processes().map((p) => p.pid()!);
    await stack.stop();
    expect(pids.filter(pidAlive)).toEqual([]);

    // Same home again: the data nodes reopen their directories and the value is still there.
    stack = await startLocalStack({ home, worker: true });
    const again = await get(stack.gateways[0]!.url, 'greeting', stack.keys.apiKey);
    expect(again.status).toBe(200);
    expect(await again.text()).toBe('hello, redoubt');
  }, 180_000);
});
