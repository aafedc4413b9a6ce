import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSentinelGroup, startTempRedisServer, type SentinelGroup } from '@redoubt/local-stack';
import { createRedisConnection, reconnectAfterDemotion } from './index.js';

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('createRedisConnection, one server', () => {
  it('connects by URL with the role’s settings', async () => {
    const server = await startTempRedisServer('redoubt-redis-single-');
    const redis = createRedisConnection(server.url, 'request-path', { connectionName: 'single-test' });
    try {
      await waitFor('ready', async () => (redis.status === 'ready' ? true : undefined), 5_000);
      await redis.set('k', 'v');
      expect(await redis.get('k')).toBe('v');
      expect(redis.options.enableOfflineQueue).toBe(false);
      expect(await redis.client('GETNAME')).toBe('single-test');
    } finally {
      redis.disconnect();
      await server.dispose();
    }
  });

  it('reconnects on READONLY (and sends the command again) and on UNBLOCKED, only behind Sentinel', () => {
    expect(reconnectAfterDemotion(new Error("READONLY You can't write against a read only replica."))).toBe(
      2,
    );
    expect(reconnectAfterDemotion(new Error('UNBLOCKED force unblock from blocking operation'))).toBe(1);
    expect(reconnectAfterDemotion(new Error('ERR wrong number of arguments'))).toBe(false);
    const single = createRedisConnection('redis://127.0.0.1:1', 'worker', { lazyConnect: true });
    const behind = createRedisConnection(
      { kind: 'sentinel', name: 'm', sentinels: [{ host: '127.0.0.1', port: 1 }] },
      'worker',
      { lazyConnect: true },
    );
    expect(single.options.reconnectOnError).toBeFalsy();
    expect(behind.options.reconnectOnError).toBe(reconnectAfterDemotion);
    expect(behind.options).toMatchObject({ name: 'm', failoverDetector: false, maxRetriesPerRequest: null });
    single.disconnect();
    behind.disconnect();
  });
});

describe('createRedisConnection through Sentinel (real master, replica and three sentinels)', () => {
  let dir: string;
  let group: SentinelGroup;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'redoubt-sentinel-'));
    group = await startSentinelGroup({ dir });
  }, 60_000);

  afterAll(async () => {
    await group?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('follows the master when it is SIGKILLed: a new master within 10 s, replicated keys kept, writes resume, the old master returns as a replica', async () => {
    const worker = createRedisConnection(group.target, 'worker', { connectionName: 'sentinel-test' });
    worker.on('error', () => undefined);
    const first = await group.master();
    expect(first?.port).toBe(group.servers[0]!.port);
    for (let i = 0; i < 100; i += 1) await worker.set(`before:${i}`, String(i));
    // Asynchronous replication: wait until the replica has them (what Sentinel can promise), then kill.
    expect(await worker.wait(1, 2_000)).toBe(1);

    const killedAt = Date.now();
    await group.servers[0]!.kill();
    const promoted = await waitFor(
      'a new master',
      async () => {
        const now = await group.master();
        return now && now.port !== first!.port ? now : undefined;
      },
      10_000,
    );
    const newMasterMs = Date.now() - killedAt;
    expect(promoted.port).toBe(group.servers[1]!.port);
    // The same connection, retrying through the sentinels, writes to the new master.
    await waitFor(
      'a write on the new master',
      async () => ((await worker.set('after', 'yes')) === 'OK' ? true : undefined),
      10_000,
    );
    const writableMs = Date.now() - killedAt;
    expect(newMasterMs).toBeLessThan(10_000);
    expect(writableMs).toBeLessThan(15_000);
    expect(await worker.get('before:99')).toBe('99');
    expect(Number(await worker.dbsize())).toBeGreaterThanOrEqual(101);
    expect((await worker.call('ROLE')) as unknown[]).toContain('master');

    // The old master comes back (from its own config file) and is turned into a replica of the new one.
    await group.servers[0]!.restart();
    const direct = createRedisConnection(group.servers[0]!.url, 'worker', { maxRetriesPerRequest: 1 });
    direct.on('error', () => undefined);
    try {
      await waitFor(
        'the old master to become a replica',
        async () => ((await direct.info('replication')).includes('master_link_status:up') ? true : undefined),
        20_000,
      );
      // A write sent to it now is refused: this is what `reconnectOnError` turns into a reconnect.
      await expect(direct.set('x', 'y')).rejects.toThrow(/READONLY/);
      expect(await direct.get('after')).toBe('yes');
    } finally {
      direct.disconnect();
      worker.disconnect();
    }
  }, 60_000);
});
