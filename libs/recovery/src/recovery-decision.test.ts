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
  ...extra,
});
const settings = { unresponsiveRestartMs: 2_000, stuckStartingMs: 60_000, startupGraceMs: 10_000 };

describe('decideAction', () => {
  it('starts what is stopped, whatever the driver', () => {
    expect(decideAction(runtime('stopped'), 0, 'local', settings)).toMatchObject({ act: 'start' });
    expect(decideAction(runtime('stopped'), 0, 'docker', settings)).toMatchObject({ act: 'start' });
  });

  it('unpauses a paused container, restarts a SIGSTOPped process', () => {
    expect(decideAction(runtime('paused'), 0, 'docker', settings)).toMatchObject({ act: 'unpause' });
    expect(decideAction(runtime('paused'), 0, 'local', settings)).toMatchObject({ act: 'restart' });
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
    expect(decideAction(runtime('running'), 5_000, 'docker', settings, 3_000)).toHaveProperty('wait');
    expect(decideAction(runtime('running'), 5_000, 'docker', settings, 9_999)).toHaveProperty('wait');
    expect(decideAction(runtime('running'), 12_000, 'docker', settings, 10_000)).toMatchObject({
      act: 'restart',
    });
    // cut off while booting: reconnected at once, grace or not
    expect(
      decideAction(runtime('running', { disconnected: ['p_default'] }), 5_000, 'docker', settings, 1_000),
    ).toMatchObject({ act: 'reconnect' });
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
    return { name: runtime.pod, state: runtime.state, detail: runtime.detail, disconnected: [], pid: null };
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
