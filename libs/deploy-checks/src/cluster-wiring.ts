import { parseSelectorString, selects } from './label-selectors.js';
import { COMPONENT, byKind, environmentOf, named, podTemplates } from './manifest-checks.js';
import type { KubeObject } from './render.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered manifests are plain JSON, read by path */
type Any = any;

const workloadOf = (objects: KubeObject[], component: string): Any =>
  podTemplates(objects).find((t) => t.labels[COMPONENT] === component)?.workload;

/**
 * Services: each selects the pods of a workload and its target port is a port they declare; every
 * StatefulSet's serviceName is a headless Service; the gateways' Service is a ClusterIP.
 */
export function serviceProblems(objects: KubeObject[]): string[] {
  const problems: string[] = [];
  for (const svc of byKind(objects, 'Service')) {
    const pods = podTemplates(objects).filter((t) => selects({ matchLabels: svc.spec.selector }, t.labels));
    if (pods.length !== 1) {
      problems.push(`Service ${svc.metadata.name}: selects ${pods.length} workloads`);
      continue;
    }
    const ports = pods[0]!.spec.containers.flatMap((c: Any) => c.ports ?? []);
    for (const p of svc.spec.ports)
      if (!ports.some((cp: Any) => cp.name === p.targetPort || cp.containerPort === p.targetPort))
        problems.push(`Service ${svc.metadata.name}: targetPort ${p.targetPort} is not a port of its pods`);
  }
  for (const sts of byKind(objects, 'StatefulSet')) {
    const svc = named(objects, 'Service', sts.spec.serviceName);
    if (svc?.spec.clusterIP !== 'None')
      problems.push(`StatefulSet ${sts.metadata.name}: ${sts.spec.serviceName} is not a headless Service`);
  }
  const gateway = named(objects, 'Service', 'redoubt-gateway');
  if ((gateway?.spec.type ?? 'ClusterIP') !== 'ClusterIP' || gateway?.spec.clusterIP === 'None')
    problems.push('Service redoubt-gateway: not a ClusterIP Service');
  return problems;
}

/** `http://host:port` -> [host, port]. */
function hostPort(url: string): [string, number] {
  const u = new URL(url);
  return [u.hostname, Number(u.port)];
}

/**
 * The apps' environment agrees with the objects: DATA_NODES names data pods 0..n-1 by their stable DNS
 * names (pod.headless-service) and port, at least REPLICAS of them and no more than the StatefulSet runs; REDIS_SENTINELS names every sentinel pod; the
 * sentinels' quorum is a majority; the monitor watches pods its selector really selects and probes
 * Services that exist.
 */
export function wiringProblems(objects: KubeObject[]): string[] {
  const problems: string[] = [];
  const data = workloadOf(objects, 'data');
  const gateway = workloadOf(objects, 'gateway');
  const env = environmentOf(objects, gateway.spec.template.spec.containers[0]);
  const dataPort = data.spec.template.spec.containers[0].ports[0].containerPort;
  const nodes = (env.get('DATA_NODES') ?? '').split(',').filter(Boolean);
  // DATA_NODES seeds epoch 1; nodes added later (scaled up, then `redoubt node add`) travel with the epochs.
  const replicas = Number(env.get('REPLICAS'));
  if (nodes.length > data.spec.replicas || nodes.length < replicas)
    problems.push(
      `DATA_NODES lists ${nodes.length} nodes; the StatefulSet runs ${data.spec.replicas}, REPLICAS is ${replicas}`,
    );
  nodes.forEach((entry, i) => {
    const [id, url] = entry.split(/=(.*)/s) as [string, string];
    const pod = `${data.metadata.name}-${i}`;
    const [host, port] = hostPort(url);
    if (id !== pod || host !== `${pod}.${data.spec.serviceName}` || port !== dataPort)
      problems.push(
        `DATA_NODES entry ${entry} is not ${pod}=http://${pod}.${data.spec.serviceName}:${dataPort}`,
      );
  });
  const sentinels = workloadOf(objects, 'sentinel');
  const listed = (env.get('REDIS_SENTINELS') ?? '').split(',').filter(Boolean);
  const expected = Array.from(
    { length: sentinels.spec.replicas },
    (_, i) => `${sentinels.metadata.name}-${i}.${sentinels.spec.serviceName}:26379`,
  );
  if (listed.join() !== expected.join())
    problems.push(`REDIS_SENTINELS is ${listed.join()}, the sentinels are ${expected.join()}`);
  const sentinelEnv = environmentOf(objects, sentinels.spec.template.spec.containers[0]);
  const quorum = Number(sentinelEnv.get('SENTINEL_QUORUM'));
  if (!(quorum > sentinels.spec.replicas / 2 && quorum <= sentinels.spec.replicas))
    problems.push(`SENTINEL_QUORUM ${quorum} is not a majority of ${sentinels.spec.replicas} sentinels`);
  if (!env.get('REDIS_SENTINEL_NAME')) problems.push('REDIS_SENTINEL_NAME is not set');

  const monitor = workloadOf(objects, 'monitor');
  const monitorEnv = environmentOf(objects, monitor.spec.template.spec.containers[0]);
  if (monitorEnv.get('ORCHESTRATOR') !== 'kubernetes')
    problems.push('the monitor does not use ORCHESTRATOR=kubernetes');
  const selector = parseSelectorString(monitorEnv.get('KUBERNETES_POD_SELECTOR') ?? '');
  for (const component of ['data', 'gateway', 'backup-worker'])
    if (!podTemplates(objects).some((t) => t.labels[COMPONENT] === component && selects(selector, t.labels)))
      problems.push(`KUBERNETES_POD_SELECTOR does not select the ${component} pods`);
  for (const entry of (monitorEnv.get('SERVICES') ?? '').split(',').filter(Boolean)) {
    const [host, port] = hostPort(entry.split(/=(.*)/s)[1]!);
    const svc = named(objects, 'Service', host);
    if (!svc?.spec.ports.some((p: Any) => p.port === port))
      problems.push(`SERVICES: ${entry} is not a Service port of the release`);
  }
  return problems.concat(monitorRbacProblems(objects, monitor));
}

/** The monitor's service account may get, list, watch and delete pods, get nodes, and nothing else. */
function monitorRbacProblems(objects: KubeObject[], monitor: Any): string[] {
  const problems: string[] = [];
  const sa = monitor.spec.template.spec.serviceAccountName;
  const namespace = monitor.metadata.namespace;
  const rules = (bindingKind: string, roleKind: string) =>
    byKind(objects, bindingKind)
      .filter((b) =>
        b.subjects.some(
          (s: Any) =>
            s.kind === 'ServiceAccount' && s.name === sa && (s.namespace ?? namespace) === namespace,
        ),
      )
      .flatMap(
        (b) => named(objects, roleKind, b.roleRef.name)?.rules ?? [`missing ${roleKind} ${b.roleRef.name}`],
      );
  const granted = [...rules('RoleBinding', 'Role'), ...rules('ClusterRoleBinding', 'ClusterRole')]
    .flatMap((r: Any) =>
      typeof r === 'string'
        ? [r]
        : r.resources.flatMap((res: string) => r.verbs.map((v: string) => `${res}:${v}`)),
    )
    .sort();
  const wanted = ['nodes:get', 'pods:delete', 'pods:get', 'pods:list', 'pods:watch'];
  if (granted.join() !== wanted.join())
    problems.push(
      `the monitor's service account may ${granted.join(' ')}; wanted exactly ${wanted.join(' ')}`,
    );
  for (const other of podTemplates(objects).filter((t) => t.workload !== monitor))
    if (other.spec.automountServiceAccountToken !== false)
      problems.push(
        `${other.workload.kind} ${other.workload.metadata.name}: mounts a service account token it does not need`,
      );
  return problems;
}
