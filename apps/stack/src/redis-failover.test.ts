import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { longestRefusal, runRedisFailoverDrill } from './redis-failover-drill.js';

const home = mkdtempSync(join(tmpdir(), 'redoubt-redis-failover-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('Redis failover under load (npm start -- --redis sentinel, real processes)', () => {
  it('longestRefusal measures from the first refusal to the next success', () => {
    const at = (ok: boolean, t: number) => ({ ok, at: t });
    expect(longestRefusal([at(true, 0), at(true, 10)])).toBe(0);
    expect(
      longestRefusal([at(true, 0), at(false, 10), at(false, 20), at(true, 50), at(false, 60), at(true, 70)]),
    ).toBe(40);
  });

  it('SIGKILL of the master: new master within 10 s, client writes never refused and none lost, epochs and membership kept, workers resume, queues caught up within 30 s', async () => {
    const result = await runRedisFailoverDrill({ home, log: (line) => console.log(`[drill] ${line}`) });
    console.log(JSON.stringify(result));
    expect(result.newMasterMs).toBeGreaterThan(0);
    expect(result.newMasterMs).toBeLessThan(10_000);
    expect(result.redisWritableMs).toBeGreaterThan(0);
    // The data path acknowledges without Redis: writes kept being acknowledged throughout.
    expect(result.clientWrites.acknowledged).toBeGreaterThan(50);
    expect(result.clientWrites.refused).toBe(0);
    expect(result.clientWrites.lost).toBe(0);
    // Replicated before the kill, so the new master has them.
    expect(result.epochAfter).toBe(result.epochBefore);
    expect(result.epochBefore).toBe(2);
    expect(result.membershipAfter).toBe(3);
    expect(result.membershipBefore).toBe(3);
    // BullMQ workers follow the new master: jobs enqueued after the failover are processed.
    expect(result.jobs.enqueued).toBe(result.jobs.wanted);
    expect(result.jobs.completed).toBe(result.jobs.wanted);
    expect(result.jobs.caughtUpMs).not.toBeNull();
    expect(result.jobs.caughtUpMs!).toBeLessThan(30_000);
    // The killed master, restarted by the supervisor, rejoins as a replica of the new one.
    expect(result.oldMasterReplicaMs).not.toBeNull();
  }, 180_000);
});
