import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaderLease } from './index.js';
import { ready, testRedis, uniquePrefix, waitFor } from './test-support.js';

let redis: Awaited<ReturnType<typeof testRedis>>;
beforeAll(async () => {
  redis = await testRedis();
});
afterAll(() => redis.stop());

async function leases(count: number, prefix = uniquePrefix(), ttlMs = 1_000) {
  const all: LeaderLease[] = [];
  for (let i = 1; i <= count; i++) {
    const connection = redis.connect();
    await ready(connection);
    all.push(
      new LeaderLease({
        redis: connection,
        prefix,
        id: `m${i}`,
        url: `http://m${i}`,
        ttlMs,
        renewEveryMs: 100,
      }),
    );
  }
  return all;
}

const leaders = (all: LeaderLease[]) => all.filter((l) => l.isLeader());

describe('LeaderLease', () => {
  it('elects exactly one of several monitors, and everyone sees who leads', async () => {
    const all = await leases(3);
    await Promise.all(all.map((l) => l.start()));
    await waitFor('a leader', () => leaders(all).length === 1);
    // Renewals keep the same leader over many TTL-fractions.
    const first = leaders(all)[0]!;
    await waitFor('every monitor to know the leader', () =>
      all.every((l) => l.lastKnownLeader()?.id === first.id),
    );
    expect((await first.leader())?.url).toBe(`http://${first.id}`);
    expect(leaders(all)).toEqual([first]);
    await Promise.all(all.map((l) => l.stop()));
  });

  it('hands over at once when the leader stops, with a larger fencing token', async () => {
    const all = await leases(2, uniquePrefix(), 30_000);
    await Promise.all(all.map((l) => l.start()));
    const leader = await waitFor('a leader', () => leaders(all)[0]);
    const token = leader.fence()!.token;
    const standby = all.find((l) => l !== leader)!;
    let elected = 0;
    standby.on('elected', (fence) => (elected = fence.token));
    // The TTL is 30 s: only the release can make the standby lead within the wait below.
    await leader.stop();
    await waitFor('the standby to take over', () => standby.isLeader(), 10_000);
    expect(elected).toBeGreaterThan(token);
    await standby.stop();
  });

  it('lets a standby take over when a killed leader stops renewing (lease expiry)', async () => {
    const prefix = uniquePrefix();
    const connection = redis.connect();
    await ready(connection);
    const leader = new LeaderLease({
      redis: connection,
      prefix,
      id: 'doomed',
      ttlMs: 1_000,
      renewEveryMs: 100,
    });
    await leader.start();
    expect(leader.isLeader()).toBe(true);
    const token = leader.fence()!.token;
    // A leader that dies does not release: stop its renewals by closing its connection.
    const deposed = new Promise<string>((resolve) => leader.on('deposed', resolve));
    connection.disconnect();
    const [standby] = await leases(1, prefix);
    await standby!.start();
    await waitFor('the standby to lead after the lease expired', () => standby!.isLeader());
    expect(standby!.fence()!.token).toBeGreaterThan(token);
    // The old leader cannot renew and steps down by itself once its local validity ends.
    expect(await deposed).toMatch(/renewed in time|taken over/);
    expect(leader.isLeader()).toBe(false);
    await standby!.stop();
    await leader.stop();
  });

  it('does not move the fencing counter on failed attempts', async () => {
    const prefix = uniquePrefix();
    const all = await leases(3, prefix);
    await Promise.all(all.map((l) => l.start()));
    const leader = await waitFor('a leader', () => leaders(all)[0]);
    const token = leader.fence()!.token;
    // Standbys try every 100 ms; after a while the counter is still the leader's token.
    const check = redis.connect();
    await ready(check);
    await new Promise((r) => setTimeout(r, 500));
    expect(Number(await check.get(leader.keys.fence))).toBe(token);
    await Promise.all(all.map((l) => l.stop()));
  });
});
