import { describe, expect, it } from 'vitest';
import { podRuntime, podsToDelete, type RuntimeStatus } from '@redoubt/orchestrator';
import { kubernetesPods as pods } from '@redoubt/orchestrator/testing';
import { actionBackoffMs, decideAction } from './index.js';

const runtime = (state: RuntimeStatus['state'], extra: Partial<RuntimeStatus> = {}): RuntimeStatus => ({
  name: 'data-1',
  state,
  detail: state,
  disconnected: [],
  pid: null,
  startedAt: null,
  ...extra,
});
const settings = {
  unresponsiveRestartMs: 2_000,
  stuckStartingMs: 60_000,
  startupGraceMs: 10_000,
  massOutageShare: 0.5,
};

describe('decideAction', () => {
  it('starts what is stopped, whatever the driver', () => {
    expect(decideAction(runtime('stopped'), 0, 'local', settings)).toMatchObject({ act: 'start' });
    expect(decideAction(runtime('stopped'), 0, 'docker', settings)).toMatchObject({ act: 'start' });
  });

  it('unpauses a paused container and resumes a SIGSTOPped process (no restart: no boot)', () => {
    expect(decideAction(runtime('paused'), 0, 'docker', settings)).toMatchObject({ act: 'unpause' });
    expect(decideAction(runtime('paused'), 0, 'local', settings)).toMatchObject({ act: 'unpause' });
    expect(decideAction(runtime('paused'), 30_000, 'local', settings)).toMatchObject({ act: 'unpause' });
  });

  it('reconnects a running container cut off its network at once', () => {
    expect(
      decideAction(runtime('running', { disconnected: ['p_default'] }), 0, 'docker', settings),
    ).toMatchObject({ act: 'reconnect' });
  });

  it('gives a running but silent service a moment, then restarts it', () => {
    expect(decideAction(runtime('running'), 1_999, 'local', settings)).toHaveProperty('wait');
    expect(decideAction(runtime('running'), 2_000, 'local', settings)).toMatchObject({ act: 'restart' });
  });

  it('gives a service it started time to boot before calling it hung, then restarts it', () => {
    expect(
      decideAction(runtime('running'), 5_000, 'docker', settings, { sinceStartedMs: 3_000 }),
    ).toHaveProperty('wait');
    expect(
      decideAction(runtime('running'), 5_000, 'docker', settings, { sinceStartedMs: 9_999 }),
    ).toHaveProperty('wait');
    expect(
      decideAction(runtime('running'), 12_000, 'docker', settings, { sinceStartedMs: 10_000 }),
    ).toMatchObject({
      act: 'restart',
    });
    // cut off while booting: reconnected at once, grace or not
    expect(
      decideAction(runtime('running', { disconnected: ['p_default'] }), 5_000, 'docker', settings, {
        sinceStartedMs: 1_000,
      }),
    ).toMatchObject({ act: 'reconnect' });
  });

  it('gives a service the orchestrator itself just (re)started time to boot, then restarts it', () => {
    const now = 1_000_000;
    // Docker's restart policy (or the supervisor after a crash) started it 1.5 s ago; down for 2.5 s
    const justRestarted = runtime('running', { startedAt: now - 1_500 });
    for (const driver of ['docker', 'local'] as const)
      expect(decideAction(justRestarted, 2_500, driver, settings, { now })).toHaveProperty('wait');
    expect(
      decideAction(runtime('running', { startedAt: now - 9_999 }), 12_000, 'docker', settings, { now }),
    ).toHaveProperty('wait');
    // booted long ago and silent: hung
    expect(
      decideAction(runtime('running', { startedAt: now - 10_000 }), 2_000, 'docker', settings, { now }),
    ).toMatchObject({ act: 'restart' });
    expect(
      decideAction(runtime('running', { startedAt: now - 600_000 }), 2_000, 'local', settings, { now }),
    ).toMatchObject({ act: 'restart' });
    // the monitor's own start and the orchestrator's: the later one counts
    expect(
      decideAction(runtime('running', { startedAt: now - 600_000 }), 5_000, 'docker', settings, {
        sinceStartedMs: 3_000,
        now,
      }),
    ).toHaveProperty('wait');
  });

  it('restarts no silent service while most services are silent at once (a starved machine), unless stuck', () => {
    const starved = { unansweredShare: 0.8 };
    expect(decideAction(runtime('running'), 5_000, 'docker', settings, starved)).toHaveProperty('wait');
    expect(decideAction(runtime('running'), 59_999, 'docker', settings, starved)).toHaveProperty('wait');
    expect(decideAction(runtime('running'), 60_000, 'docker', settings, starved)).toMatchObject({
      act: 'restart',
    });
    // half the services silent (e.g. 2 of 4) is not yet "most"
    expect(
      decideAction(runtime('running'), 5_000, 'local', settings, { unansweredShare: 0.5 }),
    ).toMatchObject({ act: 'restart' });
    // what is stopped, paused or cut off is still acted on at once
    expect(decideAction(runtime('stopped'), 0, 'docker', settings, starved)).toMatchObject({ act: 'start' });
    expect(decideAction(runtime('paused'), 0, 'docker', settings, starved)).toMatchObject({ act: 'unpause' });
  });

  it('waits while the orchestrator restarts it, and restarts one stuck starting', () => {
    expect(decideAction(runtime('restarting'), 10_000, 'local', settings)).toHaveProperty('wait');
    expect(decideAction(runtime('starting'), 60_000, 'docker', settings)).toMatchObject({ act: 'restart' });
  });

  it('does nothing without an orchestrator or a target', () => {
    expect(decideAction(runtime('unknown'), 100_000, 'none', settings)).toHaveProperty('wait');
    expect(decideAction(runtime('missing'), 100_000, 'docker', settings)).toHaveProperty('wait');
  });

  it('backs off between actions on one incident', () => {
    expect([1, 2, 3, 4, 6, 10].map(actionBackoffMs)).toEqual([1_000, 2_000, 4_000, 8_000, 30_000, 30_000]);
  });
});

describe('decideAction with the kubernetes driver (recorded pod shapes through the driver mapping)', () => {
  const status = (pod: Parameters<typeof podRuntime>[0]): RuntimeStatus => {
    const runtime = podRuntime(pod);
    return {
      name: runtime.pod,
      state: runtime.state,
      detail: runtime.detail,
      disconnected: [],
      pid: null,
      startedAt: runtime.startedAt,
    };
  };

  it('a hung data pod (running, not answering) is restarted = its pod deleted, after the grace', () => {
    expect(decideAction(status(pods.hungDataPod), 1_000, 'kubernetes', settings)).toMatchObject({
      wait: expect.stringMatching(/giving it 2000 ms/),
    });
    const decision = decideAction(status(pods.hungDataPod), 2_500, 'kubernetes', settings);
    expect(decision).toMatchObject({ act: 'restart' });
    expect(podsToDelete([pods.hungDataPod]).delete.map((p) => p.metadata?.name)).toEqual(['redoubt-data-1']);
  });

  it('what the kubelet is restarting is left to it until stuck; an evicted pod is deleted', () => {
    expect(decideAction(status(pods.crashLoopingDataPod), 30_000, 'kubernetes', settings)).toMatchObject({
      wait: expect.stringMatching(/CrashLoopBackOff/),
    });
    expect(decideAction(status(pods.crashLoopingDataPod), 61_000, 'kubernetes', settings)).toMatchObject({
      act: 'restart',
    });
    expect(decideAction(status(pods.evictedGatewayPod), 0, 'kubernetes', settings)).toMatchObject({
      act: 'start',
    });
  });

  it('a pod on a node that stopped reporting: nothing to act on', () => {
    expect(decideAction(status(pods.unknownPod), 120_000, 'kubernetes', settings)).toMatchObject({
      wait: expect.stringMatching(/did not say/),
    });
  });
});
