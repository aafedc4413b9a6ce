import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedisServer, type RedisServerHandle } from '@redoubt/local-stack';
import { checkRedisDurability, createRedisConnection, RedisProbe } from './index.js';

let dir: string;
let redis: RedisServerHandle;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'redoubt-probe-'));
  redis = await startRedisServer({ dir: join(dir, 'main') });
});

afterAll(async () => {
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function waitFor(
  what: string,
  probe: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('checkRedisDurability', () => {
  it('accepts the local stack settings (AOF on, noeviction)', async () => {
    const connection = createRedisConnection(redis.url, 'worker');
    const check = await checkRedisDurability(connection);
    expect(check).toMatchObject({ ok: true, problems: [], appendonly: 'yes', maxmemoryPolicy: 'noeviction' });
    connection.disconnect();
  });

  it('names each unsafe setting of a Redis that may lose jobs', async () => {
    const unsafe = await startRedisServer({
      dir: join(dir, 'unsafe'),
      args: ['--appendonly', 'no', '--maxmemory-policy', 'allkeys-lru'],
    });
    const connection = createRedisConnection(unsafe.url, 'worker');
    const check = await checkRedisDurability(connection);
    expect(check.ok).toBe(false);
    expect(check.problems.join('\n')).toMatch(/maxmemory-policy is "allkeys-lru"/);
    expect(check.problems.join('\n')).toMatch(/appendonly is "no"/);
    connection.disconnect();
    await unsafe.stop();
  });
});

describe('RedisProbe', () => {
  it('tracks the last successful round trip across a Redis crash and restart', async () => {
    const crashing = await startRedisServer({ dir: join(dir, 'crash') });
    const connection = createRedisConnection(crashing.url, 'worker');
    connection.on('error', () => undefined);
    const changes: boolean[] = [];
    const probe = new RedisProbe(connection, {
      intervalMs: 100,
      timeoutMs: 300,
      onChange: (up) => changes.push(up),
    });
    probe.start();
    await waitFor('first PONG', () => probe.isFresh(1_000));
    await crashing.kill();
    await waitFor('the probe to notice', () => changes.at(-1) === false);
    expect(await probe.ping()).toBe(false);
    await crashing.restart();
    await waitFor('PONG again', () => changes.at(-1) === true && probe.isFresh(1_000));
    expect(changes).toEqual([true, false, true]);
    probe.stop();
    connection.disconnect();
    await crashing.stop();
  });
});
