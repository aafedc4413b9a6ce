import { describe, expect, it } from 'vitest';
import { RedoubtError } from '@redoubt/errors';
import { createDriver, podChange, podRuntime, podsToDelete } from './index.js';
import { kubernetesPods as pods } from './testing/index.js';

describe('podRuntime: a pod status in the monitor runtime states', () => {
  it.each([
    ['running and ready', pods.dataPod('redoubt-data-0'), 'running', 'running, ready'],
    ['running, failing readiness (hung)', pods.hungDataPod, 'running', 'running, not ready'],
    ['CrashLoopBackOff', pods.crashLoopingDataPod, 'restarting', 'data CrashLoopBackOff (4 restarts)'],
    ['OOMKilled, not yet restarted', pods.oomKilledDataPod, 'restarting', 'data OOMKilled (1 restarts)'],
    [
      'unschedulable',
      pods.unschedulableDataPod,
      'starting',
      "unschedulable: 0/6 nodes are available: 3 node(s) didn't match pod topology spread constraints, 3 node(s) had volume node affinity conflict.",
    ],
    ['ContainerCreating', pods.creatingDataPod, 'starting', 'Pending (ContainerCreating)'],
    [
      'evicted',
      pods.evictedGatewayPod,
      'stopped',
      'Failed (Evicted: The node was low on resource: memory. Threshold quantity: 100Mi, available: 91Mi.)',
    ],
    ['terminating', pods.terminatingDataPod, 'restarting', 'terminating'],
    ['node lost', pods.unknownPod, 'unknown', 'phase Unknown (its node does not report)'],
  ])('%s', (_what, pod, state, detail) => {
    expect(podRuntime(pod)).toMatchObject({ state, detail });
  });
});

describe('podsToDelete: the only action', () => {
  it('a data node (one pod by name) loses its pod, whatever its readiness', () => {
    expect(podsToDelete([pods.hungDataPod]).delete.map((p) => p.metadata?.name)).toEqual(['redoubt-data-1']);
    expect(podsToDelete([pods.dataPod('redoubt-data-0')]).delete).toHaveLength(1);
  });

  it('of several gateway pods only the unready ones are deleted; all ready: none, with the reason', () => {
    const ready = pods.gatewayPod('redoubt-gateway-6d4cf56db6-aaaaa', true);
    const hung = pods.gatewayPod('redoubt-gateway-6d4cf56db6-bbbbb', false);
    expect(podsToDelete([ready, hung]).delete.map((p) => p.metadata?.name)).toEqual([
      'redoubt-gateway-6d4cf56db6-bbbbb',
    ]);
    const none = podsToDelete([ready, pods.gatewayPod('redoubt-gateway-6d4cf56db6-ccccc', true)]);
    expect(none.delete).toEqual([]);
    expect(none.refused.join()).toMatch(/every pod of the service is ready \(2\)/);
  });

  it('never a pod already being deleted, nor one that no controller would recreate', () => {
    expect(podsToDelete([pods.terminatingDataPod])).toEqual({
      delete: [],
      refused: ['redoubt-data-1 is already being deleted'],
    });
    expect(podsToDelete([pods.barePod]).refused).toEqual([
      'debug-shell has no StatefulSet/ReplicaSet owner that would recreate it',
    ]);
  });
});

describe('podChange: the event source', () => {
  it('running -> crash is gone; back to ready is back; a deletion is gone', () => {
    const up = pods.dataPod('redoubt-data-2');
    expect(podChange(up, pods.crashLoopingDataPod, 5)).toEqual({
      name: 'redoubt-data-2',
      kind: 'gone',
      at: 5,
      detail: 'pod data CrashLoopBackOff (4 restarts)',
    });
    expect(podChange(pods.crashLoopingDataPod, up, 6)?.kind).toBe('back');
    expect(podChange(up, undefined, 7)).toMatchObject({ kind: 'gone', detail: 'pod deleted' });
  });

  it('says nothing for a change that is no news (same state twice, ready to ready, a hung pod)', () => {
    const up = pods.dataPod('redoubt-data-0');
    expect(podChange(up, up, 1)).toBeUndefined();
    expect(podChange(pods.crashLoopingDataPod, pods.crashLoopingDataPod, 1)).toBeUndefined();
    // A hung pod stays `running`: the monitor's probes see it, not the event source.
    expect(podChange(up, pods.hungDataPod, 1)).toBeUndefined();
  });
});

describe('createDriver kubernetes', () => {
  it('needs the namespace and selector, and a pod to run in', () => {
    expect(() => createDriver({ kind: 'kubernetes' })).toThrow(
      /KUBERNETES_NAMESPACE and KUBERNETES_POD_SELECTOR/,
    );
    const saved = process.env.KUBERNETES_SERVICE_HOST;
    delete process.env.KUBERNETES_SERVICE_HOST;
    try {
      let error: unknown;
      try {
        createDriver({
          kind: 'kubernetes',
          namespace: 'redoubt',
          podSelector: 'app.kubernetes.io/instance=redoubt',
        });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(RedoubtError);
      expect((error as RedoubtError).code).toBe('CONFIG_INVALID');
      expect((error as Error).message).toMatch(/runs inside a pod/);
    } finally {
      if (saved !== undefined) process.env.KUBERNETES_SERVICE_HOST = saved;
    }
  });
});
