import { CoreV1Api, KubeConfig, makeInformer, type Informer, type V1Pod } from '@kubernetes/client-node';
import { RedoubtError } from '@redoubt/errors';
import {
  SERVICE_LABEL,
  ZONE_LABEL,
  podChange,
  podRank,
  podRuntime,
  podsToDelete,
} from './kubernetes-pod-state.js';
import type {
  OrchestratorDriver,
  RuntimeAction,
  RuntimeEvent,
  RuntimeStatus,
} from './orchestrator-driver.js';

export interface KubernetesDriverOptions {
  /** The namespace of the release (in a pod: the downward API's metadata.namespace). */
  namespace: string;
  /** The label selector of the release's pods, e.g. `app.kubernetes.io/instance=redoubt`. */
  selector: string;
  /** Seconds a deleted pod gets to stop cleanly. Default 5. */
  gracePeriodSeconds?: number;
  /** A configuration to use instead of the in-cluster one (service account token and CA). */
  kubeConfig?: KubeConfig;
}

/**
 * ORCHESTRATOR=kubernetes: the Kubernetes API through `@kubernetes/client-node`, with the monitor's
 * service account (a Role on pods: get, list, watch, delete; a ClusterRole on nodes: get, for zones).
 *
 * Kubernetes itself restarts crashed containers, reschedules pods and keeps each data node's
 * PersistentVolumeClaim; this driver only reports what the pods do and, as its one action, deletes a pod
 * that runs but does not answer (or is stuck starting, or failed) so that its StatefulSet or Deployment
 * creates it again. It never creates pods, never scales, never touches volumes.
 *
 * A service name is a pod name (a data node: `redoubt-data-0`), or else the value of the pods'
 * `redoubt.io/service` label (the gateways: `redoubt-gateway`, the name of their Service).
 */
export class KubernetesDriver implements OrchestratorDriver {
  readonly kind = 'kubernetes' as const;
  private readonly config: KubeConfig;
  private readonly api: CoreV1Api;
  private readonly listeners = new Set<(event: RuntimeEvent) => void>();
  private readonly seen = new Map<string, V1Pod>();
  private informer: Informer<V1Pod> | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: KubernetesDriverOptions) {
    this.config = options.kubeConfig ?? inClusterConfig();
    this.api = this.config.makeApiClient(CoreV1Api);
  }

  /** The pods of a service: the pod of that name, else the pods labelled with it. */
  async pods(name: string): Promise<V1Pod[]> {
    const list = await this.call(`list pods (${this.options.selector})`, () =>
      this.api.listNamespacedPod({ namespace: this.options.namespace, labelSelector: this.options.selector }),
    );
    const byName = list.items.filter((p) => p.metadata?.name === name);
    return byName.length > 0
      ? byName
      : list.items.filter((p) => p.metadata?.labels?.[SERVICE_LABEL] === name);
  }

  async status(name: string): Promise<RuntimeStatus> {
    const pods = await this.pods(name);
    if (pods.length === 0)
      return { name, state: 'missing', detail: 'no pod', disconnected: [], pid: null, startedAt: null };
    const worst = pods.map(podRuntime).reduce((a, b) => (podRank(b) > podRank(a) ? b : a));
    return {
      name,
      state: worst.state,
      detail: `${worst.pod}: ${worst.detail}`,
      disconnected: [],
      pid: null,
      startedAt: worst.startedAt,
    };
  }

  /** start and restart delete the pod(s) (podsToDelete); unpause and reconnect do not exist here. */
  async perform(name: string, action: RuntimeAction): Promise<void> {
    if (action !== 'start' && action !== 'restart')
      throw new RedoubtError(
        'ORCHESTRATOR_ACTION_FAILED',
        `kubernetes: cannot ${action} ${name}: the driver only deletes pods for their controller to recreate`,
        { name, action },
      );
    const pods = await this.pods(name);
    if (pods.length === 0)
      throw new RedoubtError('ORCHESTRATOR_TARGET_NOT_FOUND', `kubernetes: no pod of ${name}`, { name });
    const { delete: victims, refused } = podsToDelete(pods);
    if (victims.length === 0)
      throw new RedoubtError(
        'ORCHESTRATOR_ACTION_FAILED',
        `kubernetes: no pod of ${name} to delete: ${refused.join('; ')}`,
        { name, action },
      );
    for (const pod of victims) {
      await this.call(`delete pod ${pod.metadata!.name}`, () =>
        this.api.deleteNamespacedPod({
          name: pod.metadata!.name!,
          namespace: this.options.namespace,
          gracePeriodSeconds: this.options.gracePeriodSeconds ?? 5,
        }),
      );
    }
  }

  /** The zone of the node a pod runs on (its `topology.kubernetes.io/zone` label); undefined if unscheduled. */
  async zoneOf(podName: string): Promise<string | undefined> {
    const pod = await this.call(`read pod ${podName}`, () =>
      this.api.readNamespacedPod({ name: podName, namespace: this.options.namespace }),
    );
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) return undefined;
    const node = await this.call(`read node ${nodeName}`, () => this.api.readNode({ name: nodeName }));
    return node.metadata?.labels?.[ZONE_LABEL];
  }

  watch(listener: (event: RuntimeEvent) => void): () => void {
    this.listeners.add(listener);
    if (!this.informer) this.startInformer();
    return () => {
      this.listeners.delete(listener);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    if (this.restartTimer) clearTimeout(this.restartTimer);
    await this.informer?.stop();
    this.informer = undefined;
  }

  /** A list-then-watch of the release's pods (the informer resumes from its resourceVersion). */
  private startInformer(): void {
    const { namespace, selector } = this.options;
    const informer = makeInformer(
      this.config,
      `/api/v1/namespaces/${namespace}/pods`,
      () => this.api.listNamespacedPod({ namespace, labelSelector: selector }),
      selector,
    );
    const observe = (pod: V1Pod, gone = false) => {
      const name = pod.metadata?.name;
      if (!name) return;
      const before = this.seen.get(name);
      if (gone) this.seen.delete(name);
      else this.seen.set(name, pod);
      const event = podChange(before, gone ? undefined : pod, Date.now());
      if (event) this.emit(event);
    };
    informer.on('add', (pod) => observe(pod));
    informer.on('update', (pod) => observe(pod));
    informer.on('delete', (pod) => observe(pod, true));
    informer.on('error', () => {
      // The API server went away or the watch expired: start again from a fresh list after a pause.
      if (this.closed || this.restartTimer) return;
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        if (!this.closed) void informer.start().catch(() => undefined);
      }, 1_000);
    });
    this.informer = informer;
    void informer.start().catch(() => undefined);
  }

  private emit(event: RuntimeEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // a listener's failure must not stop the event source
      }
    }
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      const status = (error as { code?: number }).code;
      const kind =
        status === 404
          ? 'ORCHESTRATOR_TARGET_NOT_FOUND'
          : typeof status === 'number'
            ? 'ORCHESTRATOR_ACTION_FAILED'
            : 'ORCHESTRATOR_UNAVAILABLE';
      throw new RedoubtError(
        kind,
        `kubernetes: could not ${what}: ${(error as Error).message}`,
        { status: status ?? null },
        { cause: error },
      );
    }
  }
}

/** The service account's configuration inside a pod; a clear error outside one. */
function inClusterConfig(): KubeConfig {
  if (!process.env.KUBERNETES_SERVICE_HOST)
    throw new RedoubtError(
      'CONFIG_INVALID',
      'ORCHESTRATOR=kubernetes runs inside a pod (KUBERNETES_SERVICE_HOST is not set): use the in-cluster service account',
    );
  const config = new KubeConfig();
  config.loadFromCluster();
  return config;
}
