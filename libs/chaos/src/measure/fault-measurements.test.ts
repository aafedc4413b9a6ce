import { describe, expect, it } from 'vitest';
import type { ChaosTarget } from '../targets/chaos-target.js';
import { monitorDetectRecover, probeDetectRecover, type ProbeSample } from './fault-probe.js';
import { parseClusterStatus, parseMonitorEvents } from './monitor-client.js';

const sample = (
  at: number,
  ready: boolean,
  instance: string | null,
  state = ready ? 'running' : 'stopped',
): ProbeSample => ({
  at,
  ready,
  state,
  instance,
});

describe('fault measurements', () => {
  it('from probes: detection at the first failed sample, recovery at the first ready sample of a new process', () => {
    const before = sample(990, true, 'pid1');
    const samples = [
      before,
      sample(1010, false, null),
      sample(1110, false, null),
      sample(1500, true, 'pid2'),
    ];
    expect(probeDetectRecover('kill', samples, before, 1000, 1000)).toEqual({
      detectedAt: 1010,
      recoveredAt: 1500,
    });
  });

  it('from probes: a crash restarted between two samples is seen by the new process identity', () => {
    const before = sample(990, true, 'pid1');
    const samples = [before, sample(1100, true, 'pid1'), sample(1200, true, 'pid9')];
    expect(probeDetectRecover('crash', samples, before, 1050, 1050)).toEqual({
      detectedAt: 1200,
      recoveredAt: 1200,
    });
  });

  it('from probes: a pause recovers only after it was undone, with the same process', () => {
    const before = sample(990, true, 'pid1');
    const samples = [
      before,
      sample(1100, false, 'pid1', 'paused'),
      sample(3000, false, 'pid1', 'paused'),
      sample(3100, true, 'pid1'),
    ];
    expect(probeDetectRecover('pause', samples, before, 1000, 3050)).toEqual({
      detectedAt: 1100,
      recoveredAt: 3100,
    });
    expect(probeDetectRecover('pause', samples.slice(0, 3), before, 1000, 3050).recoveredAt).toBeNull();
  });

  it('from the monitor: its event about the target after the injection', () => {
    const target: ChaosTarget = { name: 'data-2', role: 'data', id: 'd2', labels: {} };
    const events = parseMonitorEvents({
      events: [
        {
          id: 'e0',
          target: 'd2',
          kind: 'data',
          fault: 'down',
          detectedAt: 500,
          recoveredAt: 700,
          status: 'recovered',
        },
        {
          id: 'e1',
          target: 'd2',
          kind: 'data',
          fault: 'down',
          detectedAt: 2400,
          recoveredAt: 5200,
          status: 'recovered',
        },
        {
          id: 'e2',
          target: 'gw1',
          kind: 'gateway',
          fault: 'down',
          detectedAt: 2100,
          recoveredAt: null,
          status: 'open',
        },
      ],
    });
    expect(monitorDetectRecover(events, target, 2000)).toEqual({ detectedAt: 2400, recoveredAt: 5200 });
    expect(monitorDetectRecover(events, { ...target, id: 'd3', name: 'data-3' }, 2000)).toEqual({
      detectedAt: null,
      recoveredAt: null,
    });
  });

  it('reads the leader and redundancy from the monitor status', () => {
    const status = parseClusterStatus({
      monitor: { id: 'm2', leader: false, leaderId: 'm1', leaderUrl: 'http://127.0.0.1:7070' },
      placement: { epoch: 3 },
      redundancy: { belowR: 12, belowW: 0 },
    });
    expect(status).toMatchObject({
      epoch: 3,
      leader: { id: 'm1', url: 'http://127.0.0.1:7070' },
      partitionsBelowR: 12,
      partitionsBelowW: 0,
    });
  });
});
