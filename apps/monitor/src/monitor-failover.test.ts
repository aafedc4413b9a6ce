import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MonitorFixture, waitFor } from './testing/monitor-fixture.js';

/** Two monitors: one leads; kill -9 it, the standby takes over within a few seconds and acts on the next fault. */
let cluster: MonitorFixture;

beforeAll(async () => {
  cluster = await MonitorFixture.start({ dataNodes: 3, monitors: 2 });
});
afterAll(() => cluster?.stop());

describe('monitor: leader failover', () => {
  it('exactly one monitor leads; the standby knows who', async () => {
    const leader = (await cluster.leader())!;
    const standby = cluster.monitors.find((m) => m !== leader)!;
    const status = await waitFor('the standby to know the leader', async () => {
      const s = await cluster.status(standby);
      return s.monitor.leaderId === leader.id ? s : undefined;
    });
    expect(status.monitor.leader).toBe(false);
    expect(status.monitor.leaderUrl).toBe(leader.url);
    // A change sent to the standby is refused with the leader's address.
    const res = await fetch(`${standby.url}/v1/nodes/d1/drain`, {
      method: 'POST',
      headers: {
        'x-redoubt-admin-key': 'monitor-test-admin-key-0123456789',
        'content-type': 'application/json',
      },
      body: '{}',
    });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({
      error: { code: 'NOT_LEADER', details: { leaderUrl: leader.url } },
    });
  });

  it('kill -9 of the leader: the standby takes over and restarts the next killed data node', async () => {
    const leader = (await cluster.leader())!;
    const standby = cluster.monitors.find((m) => m !== leader)!;
    await leader.process.kill();
    await waitFor('the standby to lead', async () => (await cluster.status(standby)).monitor.leader, 30_000);

    const before = Date.now();
    await cluster.supervisor.control('data-2', 'kill');
    const event = await waitFor('the standby to restart d2', async () => {
      const status = await cluster.status(standby);
      return status.events.find(
        (e) =>
          e.target === 'd2' &&
          e.detectedAt >= before &&
          e.status === 'recovered' &&
          e.actions.some((a) => a.action === 'start'),
      );
    });
    expect(event.monitor).toBe(standby.id);
    expect(event.actions.find((a) => a.action === 'start')).toMatchObject({ by: standby.id, result: 'ok' });
    expect(cluster.supervisor.get('data-2').status().state).toBe('running');
  });

  it('the old leader comes back as a standby', async () => {
    const old = cluster.monitors.find((m) => !m.process.running())!;
    await old.process.start();
    const status = await waitFor('the old leader to follow', async () => {
      const s = await cluster.status(old);
      return s.monitor.leaderId && s.monitor.leaderId !== old.id ? s : undefined;
    });
    expect(status.monitor.leader).toBe(false);
  });
});
