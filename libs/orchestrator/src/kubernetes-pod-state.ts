import type { V1Pod } from '@kubernetes/client-node';
import type { RuntimeEvent, RuntimeState } from './orchestrator-driver.js';

/** The pod label that names the redoubt service a pod belongs to (the name of its Service). */
export const SERVICE_LABEL = 'redoubt.io/service';
/** The Node label the scheduler spreads data nodes over; its value is the data node's zone. */
export const ZONE_LABEL = 'topology.kubernetes.io/zone';

/** Waiting reasons that mean the kubelet is backing off, not making progress. */
const BACKING_OFF = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

/** Kinds of controllers that recreate a deleted pod (a bare pod would be gone for good). */
const RECREATING_OWNERS = new Set(['StatefulSet', 'ReplicaSet', 'DaemonSet']);

export interface PodRuntime {
  pod: string;
  state: RuntimeState;
  /** The kubelet's own words: phase, waiting/terminated reasons, readiness. */
  detail: string;
  ready: boolean;
  /** When its newest running container started (ms), so recovery gives a fresh start its boot time. */
  startedAt: number | null;
}

/**
 * What a pod's status says, in the monitor's runtime states:
 *
 * | pod                                                        | state        |
 * | ---------------------------------------------------------- | ------------ |
 * | being deleted (deletionTimestamp)                          | `restarting` (its controller replaces it) |
 * | Pending, not scheduled or containers being created         | `starting`   |
 * | a container waiting in CrashLoopBackOff, ImagePullBackOff… | `restarting` |
 * | Running, a container terminated (kubelet restarts it)      | `restarting` |
 * | Running, every container running                           | `running` (ready or not: a hung one runs) |
 * | Succeeded / Failed (evicted, its node lost)                | `stopped`    |
 * | Unknown (its node stopped reporting)                       | `unknown`    |
 */
export function podRuntime(pod: V1Pod): PodRuntime {
  const name = pod.metadata?.name ?? '?';
  const phase = pod.status?.phase ?? 'Unknown';
  const containers = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  const ready = (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  const starts = (pod.status?.containerStatuses ?? [])
    .map((c) => Date.parse(String(c.state?.running?.startedAt ?? '')))
    .filter((t) => Number.isFinite(t));
  const startedAt = starts.length > 0 ? Math.max(...starts) : null;
  const result = (state: RuntimeState, detail: string): PodRuntime => ({
    pod: name,
    state,
    detail,
    ready,
    startedAt,
  });

  if (pod.metadata?.deletionTimestamp) return result('restarting', 'terminating');
  if (phase === 'Failed' || phase === 'Succeeded') {
    const why = [pod.status?.reason, pod.status?.message].filter(Boolean).join(': ');
    return result('stopped', why ? `${phase} (${why})` : phase);
  }
  if (phase === 'Unknown') return result('unknown', 'phase Unknown (its node does not report)');

  for (const c of containers) {
    const reason = c.state?.waiting?.reason;
    if (reason && BACKING_OFF.has(reason))
      return result('restarting', `${c.name} ${reason} (${c.restartCount ?? 0} restarts)`);
  }
  if (phase === 'Pending') {
    const scheduled = (pod.status?.conditions ?? []).find((c) => c.type === 'PodScheduled');
    if (scheduled?.status === 'False')
      return result('starting', `unschedulable${scheduled.message ? `: ${scheduled.message}` : ''}`);
    const waiting = containers.find((c) => c.state?.waiting)?.state?.waiting?.reason;
    return result('starting', `Pending${waiting ? ` (${waiting})` : ''}`);
  }
  const main = pod.status?.containerStatuses ?? [];
  const stopped = main.find((c) => !c.state?.running);
  if (stopped) {
    const how = stopped.state?.terminated?.reason ?? stopped.state?.waiting?.reason ?? 'not running';
    return result('restarting', `${stopped.name} ${how} (${stopped.restartCount ?? 0} restarts)`);
  }
  return result('running', ready ? 'running, ready' : 'running, not ready');
}

/** Which of two pods needs recovery more (the one a service's status reports). */
export function podRank(runtime: PodRuntime): number {
  if (runtime.state === 'stopped') return 5;
  if (runtime.state === 'restarting' || runtime.state === 'starting') return 3;
  if (runtime.state === 'running' && !runtime.ready) return 2;
  if (runtime.state === 'running') return 1;
  return 0;
}

/** Whether deleting this pod makes its controller create a new one (never delete a pod nobody recreates). */
export function recreatedWhenDeleted(pod: V1Pod): boolean {
  return (pod.metadata?.ownerReferences ?? []).some((o) => o.controller && RECREATING_OWNERS.has(o.kind));
}

/**
 * The pods of a service that a `restart` (or `start`) deletes. A service of one pod (a data node, by its
 * pod name) loses that pod. A service of several (the gateways behind their Service) loses only the pods
 * that are not ready: the monitor probes the Service and cannot tell which pod hangs, and deleting a
 * ready pod would take capacity away for nothing. Pods already being deleted, and pods no controller
 * would recreate, are left alone.
 */
export function podsToDelete(pods: readonly V1Pod[]): { delete: V1Pod[]; refused: string[] } {
  const refused: string[] = [];
  const candidates = pods.filter((pod) => {
    const name = pod.metadata?.name ?? '?';
    if (pod.metadata?.deletionTimestamp) {
      refused.push(`${name} is already being deleted`);
      return false;
    }
    if (!recreatedWhenDeleted(pod)) {
      refused.push(`${name} has no StatefulSet/ReplicaSet owner that would recreate it`);
      return false;
    }
    return true;
  });
  if (pods.length === 1) return { delete: candidates, refused };
  const unready = candidates.filter((pod) => !podRuntime(pod).ready);
  if (unready.length === 0 && candidates.length > 0)
    refused.push(`every pod of the service is ready (${candidates.length}); none is deleted`);
  return { delete: unready, refused };
}

/**
 * The runtime event (if any) between two sightings of one pod, named by the pod: deleted or failed is
 * `gone`, a container that stopped running is `gone`, becoming ready again is `back`.
 */
export function podChange(
  before: V1Pod | undefined,
  after: V1Pod | undefined,
  at: number,
): RuntimeEvent | undefined {
  const name = after?.metadata?.name ?? before?.metadata?.name;
  if (!name) return undefined;
  if (!after) return { name, kind: 'gone', at, detail: 'pod deleted' };
  const now = podRuntime(after);
  const then = before ? podRuntime(before) : undefined;
  const wasUp = then?.state === 'running';
  if (now.state === 'stopped' || (now.state === 'restarting' && (wasUp || !then)))
    return then?.state === now.state && then.detail === now.detail
      ? undefined
      : { name, kind: 'gone', at, detail: `pod ${now.detail}` };
  if (now.state === 'running' && now.ready && !(then?.state === 'running' && then.ready))
    return { name, kind: 'back', at, detail: 'pod running and ready' };
  return undefined;
}
