import type { V1Pod } from '@kubernetes/client-node';

/**
 * Pods as `kubectl get pod -o json` prints them (status fields as the kubelet and scheduler write them),
 * trimmed to what the driver reads. Written after the shapes documented for core/v1 Pod and seen on
 * clusters; no API server produced them here (none runs on this machine).
 */
const statefulSetOwner = [
  {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    name: 'redoubt-data',
    uid: 'u-1',
    controller: true,
    blockOwnerDeletion: true,
  },
];
const replicaSetOwner = [
  {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    name: 'redoubt-gateway-6d4cf56db6',
    uid: 'u-2',
    controller: true,
    blockOwnerDeletion: true,
  },
];
const conditions = (ready: boolean) => [
  { type: 'PodReadyToStartContainers', status: 'True', lastTransitionTime: new Date('2026-12-07T20:00:00Z') },
  { type: 'Initialized', status: 'True', lastTransitionTime: new Date('2026-12-07T20:00:00Z') },
  {
    type: 'Ready',
    status: ready ? 'True' : 'False',
    reason: ready ? undefined : 'ContainersNotReady',
    lastTransitionTime: new Date('2026-12-07T20:00:05Z'),
  },
  {
    type: 'ContainersReady',
    status: ready ? 'True' : 'False',
    lastTransitionTime: new Date('2026-12-07T20:00:05Z'),
  },
  { type: 'PodScheduled', status: 'True', lastTransitionTime: new Date('2026-12-07T20:00:00Z') },
];
const running = { running: { startedAt: new Date('2026-12-07T20:00:01Z') } };

export function dataPod(
  name: string,
  status: Partial<NonNullable<V1Pod['status']>> = {},
  extra: Partial<V1Pod['metadata']> = {},
): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'redoubt',
      labels: {
        'app.kubernetes.io/instance': 'redoubt',
        'redoubt.io/service': 'redoubt-data',
        'apps.kubernetes.io/pod-index': name.split('-').at(-1)!,
      },
      ownerReferences: statefulSetOwner,
      ...extra,
    },
    spec: { nodeName: 'worker-b-1', containers: [{ name: 'data', image: 'redoubt/app:1.0.0' }] },
    status: {
      phase: 'Running',
      conditions: conditions(true),
      containerStatuses: [
        {
          name: 'data',
          ready: true,
          restartCount: 0,
          image: 'redoubt/app:1.0.0',
          imageID: '',
          started: true,
          state: running,
        },
      ],
      ...status,
    },
  };
}

export function gatewayPod(name: string, ready: boolean): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'redoubt',
      labels: {
        'app.kubernetes.io/instance': 'redoubt',
        'redoubt.io/service': 'redoubt-gateway',
        'pod-template-hash': '6d4cf56db6',
      },
      ownerReferences: replicaSetOwner,
    },
    spec: { nodeName: 'worker-a-1', containers: [{ name: 'gateway', image: 'redoubt/app:1.0.0' }] },
    status: {
      phase: 'Running',
      conditions: conditions(ready),
      containerStatuses: [
        {
          name: 'gateway',
          ready,
          restartCount: 0,
          image: 'redoubt/app:1.0.0',
          imageID: '',
          started: true,
          state: running,
        },
      ],
    },
  };
}

/** A data node that runs but fails its readiness probe (hung, or its disk stalls). */
export const hungDataPod = dataPod('redoubt-data-1', {
  conditions: conditions(false),
  containerStatuses: [
    {
      name: 'data',
      ready: false,
      restartCount: 0,
      image: 'redoubt/app:1.0.0',
      imageID: '',
      started: true,
      state: running,
    },
  ],
});

export const crashLoopingDataPod = dataPod('redoubt-data-2', {
  conditions: conditions(false),
  containerStatuses: [
    {
      name: 'data',
      ready: false,
      restartCount: 4,
      image: 'redoubt/app:1.0.0',
      imageID: '',
      started: false,
      state: {
        waiting: {
          reason: 'CrashLoopBackOff',
          message: 'back-off 1m20s restarting failed container=data pod=redoubt-data-2_redoubt(u-3)',
        },
      },
      lastState: {
        terminated: {
          exitCode: 1,
          reason: 'Error',
          startedAt: new Date('2026-12-07T20:01:00Z'),
          finishedAt: new Date('2026-12-07T20:01:02Z'),
        },
      },
    },
  ],
});

/** Killed by the kernel, the kubelet has not restarted it yet. */
export const oomKilledDataPod = dataPod('redoubt-data-0', {
  conditions: conditions(false),
  containerStatuses: [
    {
      name: 'data',
      ready: false,
      restartCount: 1,
      image: 'redoubt/app:1.0.0',
      imageID: '',
      started: false,
      state: {
        terminated: {
          exitCode: 137,
          reason: 'OOMKilled',
          startedAt: new Date('2026-12-07T20:00:01Z'),
          finishedAt: new Date('2026-12-07T20:02:00Z'),
        },
      },
    },
  ],
});

export const unschedulableDataPod = dataPod('redoubt-data-3', {
  phase: 'Pending',
  conditions: [
    {
      type: 'PodScheduled',
      status: 'False',
      reason: 'Unschedulable',
      message:
        "0/6 nodes are available: 3 node(s) didn't match pod topology spread constraints, 3 node(s) had volume node affinity conflict.",
      lastTransitionTime: new Date('2026-12-07T20:03:00Z'),
    },
  ],
  containerStatuses: undefined,
});

export const creatingDataPod = dataPod('redoubt-data-3', {
  phase: 'Pending',
  conditions: conditions(false),
  containerStatuses: [
    {
      name: 'data',
      ready: false,
      restartCount: 0,
      image: 'redoubt/app:1.0.0',
      imageID: '',
      started: false,
      state: { waiting: { reason: 'ContainerCreating' } },
    },
  ],
});

export const evictedGatewayPod: V1Pod = {
  ...gatewayPod('redoubt-gateway-6d4cf56db6-x7k2p', false),
  status: {
    phase: 'Failed',
    reason: 'Evicted',
    message: 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 91Mi.',
    conditions: conditions(false),
  },
};

export const terminatingDataPod = dataPod(
  'redoubt-data-1',
  {},
  { deletionTimestamp: new Date('2026-12-07T20:04:00Z'), deletionGracePeriodSeconds: 5 },
);

export const barePod: V1Pod = {
  ...dataPod('debug-shell'),
  metadata: { name: 'debug-shell', namespace: 'redoubt', labels: { 'redoubt.io/service': 'redoubt-data' } },
};

export const unknownPod = dataPod('redoubt-data-0', {
  phase: 'Unknown',
  reason: 'NodeLost',
  containerStatuses: undefined,
});
