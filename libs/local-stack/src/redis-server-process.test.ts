import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startRedisServer, type RedisServerHandle } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'redoubt-redis-'));
let redis: RedisServerHandle | undefined;

afterAll(async () => {
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('startRedisServer', () => {
  it('runs with AOF and noeviction, and keeps written data across a SIGKILL and restart', async () => {
    redis = await startRedisServer({ dir });
    const client = new Redis(redis.url, { maxRetriesPerRequest: null });
    expect(await client.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
    expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    await client.set('k', 'v');
    // AOF fsyncs every second; a write acknowledged that long ago must survive a crash.
    await new Promise((r) => setTimeout(r, 1_200));
    const before = redis.pid();
    await redis.kill();
    await redis.restart();
    expect(redis.pid()).not.toBe(before);
    expect(await client.get('k')).toBe('v');
    client.disconnect();
  });
});
