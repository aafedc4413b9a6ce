import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecoveryEvent } from '@redoubt/membership';
import { KEYS, MonitorFixture, waitFor } from './testing/monitor-fixture.js';

/**
 * The monitor with the local driver on real processes: a data node killed (as `docker kill` does: the
 * supervisor does not restart it), stopped with SIGSTOP (resumed with SIGCONT: the same process, no boot),
 * or crashed (the supervisor restarts it; the monitor lets it boot) is detected, brought back, and the
 * incident is recorded with its detect and recover times.
 */
let cluster: MonitorFixture;

beforeAll(async () => {
  cluster = await MonitorFixture.start({ dataNodes: 3, gateway: false });
});
afterAll(() => cluster?.stop());

/** The first incident of `target` detected after `after`. */
async function incidentOf(target: string, after: number): Promise<RecoveryEvent | undefined> {
  const status = await cluster.status();
  return status.events.filter((e) => e.target === target && e.detectedAt >= after).at(-1);
}

/** The value of a metric series whose labels include all of `labels` (0 when absent). */
async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${cluster.monitors[0]!.url}/metrics`)).text();
  const line = text
    .split('\n')
    .find(
      (l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)),
    );
  return line ? Number(line.split(' ').at(-1)) : 0;
}

/** The incident of `target` detected after `after`, once it is recovered and shows `action` (recorded when the action returns). */
function recoveredWith(target: string, after: number, action: string) {
  return waitFor(`${target} recovered with a ${action}`, async () => {
    const e = await incidentOf(target, after);
    return e?.status === 'recovered' && e.actions.some((a) => a.action === action && a.result === 'ok')
      ? e
      : undefined;
  });
}

describe('monitor: detect and restart (ORCHESTRATOR=local)', () => {
  it('serves the cluster status to the admin key and the cluster token only', async () => {
    const url = `${cluster.monitors[0]!.url}/v1/cluster`;
    expect((await fetch(url)).status).toBe(401);
    expect(
      (await fetch(url, { headers: { 'x-redoubt-admin-key': 'wrong-admin-key-0123456789' } })).status,
    ).toBe(403);
    expect((await fetch(url, { headers: { 'x-redoubt-admin-key': KEYS.admin } })).status).toBe(200);
    const status = await waitFor('every service up', async () => {
      const s = await cluster.status();
      return s.services.every((svc) => svc.health === 'up') ? s : undefined;
    });
    expect(status.monitor).toMatchObject({
      id: 'm1',
      leader: true,
      leaderId: 'm1',
      orchestrator: 'local',
      redis: 'up',
    });
    expect(status.placement).toMatchObject({
      epoch: 1,
      partitions: 64,
      replicas: 3,
      writeQuorum: 2,
      servers: ['d1', 'd2', 'd3'],
    });
    expect(status.nodes.map((n) => [n.id, n.membership, n.health, n.replicas])).toEqual([
      ['d1', 'active', 'up', 64],
      ['d2', 'active', 'up', 64],
      ['d3', 'active', 'up', 64],
    ]);
    expect(status.services.map((s) => [s.name, s.kind, s.orchestratorName])).toEqual([
      ['d1', 'data', 'data-1'],
      ['d2', 'data', 'data-2'],
      ['d3', 'data', 'data-3'],
      ['redis', 'redis', 'redis'],
    ]);
    expect(status.redundancy).toMatchObject({ belowR: 0, belowW: 0, pendingMoves: 0 });
  });

  it('kill -9 of a data node: detected, started again, serving; the times are in the event log and the metrics', async () => {
    const before = Date.now();
    const oldPid = cluster.supervisor.get('data-2').pid();
    await cluster.supervisor.control('data-2', 'kill');
    const event = await recoveredWith('d2', before, 'start');
    expect(event).toMatchObject({ kind: 'data', fault: 'down', monitor: 'm1' });
    expect(event.timeToDetectMs).toBeGreaterThanOrEqual(0);
    expect(event.timeToRecoverMs).toBeGreaterThanOrEqual(event.timeToDetectMs!);
    expect(event.recoveredAt).toBeGreaterThanOrEqual(event.detectedAt);
    // Serving again: a new process, ready, answering the cluster's own API.
    const status = cluster.supervisor.get('data-2').status();
    expect(status.state).toBe('running');
    expect(status.pid).not.toBe(oldPid);
    expect(await cluster.client('d2').ready()).toBe(true);
    expect(await cluster.client('d2').listPartitions()).toEqual(expect.any(Array));
    expect(await metric('redoubt_monitor_time_to_detect_seconds_count', { kind: 'data' })).toBeGreaterThan(0);
    expect(await metric('redoubt_monitor_time_to_recover_seconds_count', { kind: 'data' })).toBeGreaterThan(
      0,
    );
    expect(
      await metric('redoubt_monitor_recovery_actions_total', { kind: 'data', action: 'start', result: 'ok' }),
    ).toBeGreaterThan(0);
  });

  it('SIGSTOP of a data node: detected, resumed (the same process, no restart)', async () => {
    const before = Date.now();
    const oldPid = cluster.supervisor.get('data-3').pid();
    await cluster.supervisor.control('data-3', 'pause');
    const event = await recoveredWith('d3', before, 'unpause');
    expect(event.actions.filter((a) => a.action === 'restart')).toEqual([]);
    expect(event.recoveredAt! - event.detectedAt).toBeLessThan(2_000);
    const status = cluster.supervisor.get('data-3').status();
    expect(status.state).toBe('running');
    expect(status.pid).toBe(oldPid);
    expect(await cluster.client('d3').ready()).toBe(true);
  });

  it('a SIGSTOP the supervisor was not asked for (kill -STOP): seen as paused in /proc, resumed', async () => {
    const before = Date.now();
    const oldPid = cluster.supervisor.get('data-1').pid()!;
    process.kill(oldPid, 'SIGSTOP');
    try {
      const event = await recoveredWith('d1', before, 'unpause');
      expect(event.actions.filter((a) => a.action === 'restart')).toEqual([]);
      expect(cluster.supervisor.get('data-1').pid()).toBe(oldPid);
      expect(await cluster.client('d1').ready()).toBe(true);
    } finally {
      process.kill(oldPid, 'SIGCONT');
    }
  });

  it('a crash the supervisor restarts by itself: recorded, and the monitor only waits', async () => {
    const before = Date.now();
    await cluster.supervisor.control('data-1', 'crash');
    const event = await waitFor('the incident to be recovered', async () => {
      const e = await incidentOf('d1', before);
      return e?.status === 'recovered' ? e : undefined;
    });
    // Nothing started or restarted it: the monitor waited, then queued repairs of what it missed.
    expect(
      event.actions.filter((a) => a.action !== 'wait' && a.action !== 'repair'),
      JSON.stringify(event),
    ).toEqual([]);
  });

  it('restarts Redis when it is killed', async () => {
    const before = Date.now();
    await cluster.supervisor.control('redis', 'kill');
    await waitFor('redis running again', () => cluster.supervisor.get('redis').status().state === 'running');
    const event = await recoveredWith('redis', before, 'start');
    expect(event.kind).toBe('redis');
  });
});
