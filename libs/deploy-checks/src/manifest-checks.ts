import { selects, type LabelSelector } from './label-selectors.js';
import type { KubeObject } from './render.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered manifests are plain JSON, read by path */
type Any = any;

export const COMPONENT = 'app.kubernetes.io/component';
const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job']);

export interface PodTemplate {
  workload: KubeObject;
  labels: Record<string, string>;
  spec: Any;
}

export const byKind = (objects: KubeObject[], kind: string): Any[] => objects.filter((o) => o.kind === kind);
export const named = (objects: KubeObject[], kind: string, name: string): Any =>
  objects.find((o) => o.kind === kind && o.metadata.name === name);

export function podTemplates(objects: KubeObject[]): PodTemplate[] {
  return objects
    .filter((o) => WORKLOADS.has(o.kind))
    .map((o: Any) => ({
      workload: o,
      labels: o.spec.template.metadata?.labels ?? {},
      spec: o.spec.template.spec,
    }));
}

const containersOf = (spec: Any): Any[] => [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
const where = (t: PodTemplate, c?: Any) =>
  `${t.workload.kind} ${t.workload.metadata.name}${c ? ` container ${c.name}` : ''}`;

/**
 * Pod security: the `restricted` Pod Security Standard (non-root, no privilege escalation, every
 * capability dropped, the runtime's seccomp profile), plus a read-only root file system and memory
 * requests and limits on every container.
 */
export function podSecurityProblems(objects: KubeObject[]): string[] {
  const problems: string[] = [];
  for (const t of podTemplates(objects)) {
    const pod = t.spec.securityContext ?? {};
    for (const c of containersOf(t.spec)) {
      const sc = c.securityContext ?? {};
      const nonRoot = sc.runAsNonRoot ?? pod.runAsNonRoot;
      const uid = sc.runAsUser ?? pod.runAsUser;
      if (nonRoot !== true) problems.push(`${where(t, c)}: runAsNonRoot is not true`);
      if (uid === undefined || uid === 0)
        problems.push(`${where(t, c)}: runs as uid ${uid ?? '(image default)'}`);
      if (sc.allowPrivilegeEscalation !== false)
        problems.push(`${where(t, c)}: allowPrivilegeEscalation is not false`);
      if (!(sc.capabilities?.drop ?? []).includes('ALL'))
        problems.push(`${where(t, c)}: capabilities are not dropped (ALL)`);
      if ((sc.seccompProfile ?? pod.seccompProfile)?.type !== 'RuntimeDefault')
        problems.push(`${where(t, c)}: no RuntimeDefault seccomp profile`);
      if (sc.readOnlyRootFilesystem !== true) problems.push(`${where(t, c)}: root file system is writable`);
      if (!c.resources?.requests?.memory || !c.resources?.limits?.memory || !c.resources?.requests?.cpu)
        problems.push(`${where(t, c)}: no cpu request or memory request and limit`);
    }
  }
  return problems;
}

/** Every Secret and ConfigMap a pod reads exists in the render, with the key it reads. */
export function referenceProblems(objects: KubeObject[]): string[] {
  const problems: string[] = [];
  const data = (kind: string, name: string): Record<string, unknown> | undefined => {
    const o: Any = named(objects, kind, name);
    return o ? { ...(o.data ?? {}), ...(o.stringData ?? {}) } : undefined;
  };
  const check = (
    at: string,
    kind: 'Secret' | 'ConfigMap',
    name: string,
    key?: string,
    optional?: boolean,
  ) => {
    if (optional) return;
    const d = data(kind, name);
    if (!d) problems.push(`${at}: ${kind} ${name} does not exist`);
    else if (key !== undefined && !Object.hasOwn(d, key))
      problems.push(`${at}: ${kind} ${name} has no key ${key}`);
  };
  for (const t of podTemplates(objects)) {
    for (const v of t.spec.volumes ?? []) {
      if (v.secret) check(where(t), 'Secret', v.secret.secretName, undefined, v.secret.optional);
      if (v.configMap) check(where(t), 'ConfigMap', v.configMap.name, undefined, v.configMap.optional);
      if (
        v.persistentVolumeClaim &&
        !named(objects, 'PersistentVolumeClaim', v.persistentVolumeClaim.claimName)
      )
        problems.push(
          `${where(t)}: PersistentVolumeClaim ${v.persistentVolumeClaim.claimName} does not exist`,
        );
    }
    for (const c of containersOf(t.spec)) {
      const defined = new Set<string>();
      for (const e of c.env ?? []) {
        // $(VAR) is expanded only from variables defined before it (else it stays literally "$(VAR)").
        for (const [, ref] of String(e.value ?? '').matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g))
          if (!defined.has(ref!))
            problems.push(`${where(t, c)}: ${e.name} uses $(${ref}) before it is defined`);
        defined.add(e.name);
        const s = e.valueFrom?.secretKeyRef;
        const m = e.valueFrom?.configMapKeyRef;
        if (s) check(where(t, c), 'Secret', s.name, s.key, s.optional);
        if (m) check(where(t, c), 'ConfigMap', m.name, m.key, m.optional);
        if (e.value !== undefined && /TOKEN|KEY|PASSWORD|SECRET/.test(e.name) && !/_SELECTOR$/.test(e.name))
          problems.push(`${where(t, c)}: ${e.name} has a literal value (secrets come from a Secret)`);
      }
      for (const from of c.envFrom ?? []) {
        if (from.secretRef)
          check(where(t, c), 'Secret', from.secretRef.name, undefined, from.secretRef.optional);
        if (from.configMapRef)
          check(where(t, c), 'ConfigMap', from.configMapRef.name, undefined, from.configMapRef.optional);
      }
    }
    const sa = t.spec.serviceAccountName;
    if (sa && !named(objects, 'ServiceAccount', sa))
      problems.push(`${where(t)}: ServiceAccount ${sa} does not exist`);
  }
  return problems;
}

/** The components of the pod templates a selector picks. */
export function componentsSelected(objects: KubeObject[], selector: LabelSelector): string[] {
  return [
    ...new Set(
      podTemplates(objects)
        .filter((t) => selects(selector, t.labels))
        .map((t) => t.labels[COMPONENT]!),
    ),
  ].sort();
}

/**
 * NetworkPolicies: every policy and every pod peer selects pods that exist (a selector with a typo
 * silently allows or protects nothing), every pod of the release is under a policy that denies by default.
 */
export function networkPolicyProblems(objects: KubeObject[]): string[] {
  const problems: string[] = [];
  const policies = byKind(objects, 'NetworkPolicy');
  for (const p of policies) {
    if (componentsSelected(objects, p.spec.podSelector).length === 0)
      problems.push(`NetworkPolicy ${p.metadata.name}: its podSelector matches no pod`);
    for (const rule of p.spec.ingress ?? [])
      for (const peer of rule.from ?? [])
        if (
          peer.podSelector &&
          !peer.namespaceSelector &&
          componentsSelected(objects, peer.podSelector).length === 0
        )
          problems.push(`NetworkPolicy ${p.metadata.name}: a peer's podSelector matches no pod`);
  }
  for (const t of podTemplates(objects)) {
    const covered = policies.some(
      (p) => selects(p.spec.podSelector, t.labels) && (p.spec.policyTypes ?? []).includes('Ingress'),
    );
    if (!covered) problems.push(`${where(t)}: no NetworkPolicy restricts its ingress`);
  }
  return problems;
}

/**
 * Who may connect to pods of a component: the components of pod peers, `namespace:<labels>` for peers
 * in other namespaces, `*` for a rule open to every source.
 */
export function ingressSources(objects: KubeObject[], component: string): string[] {
  const target = podTemplates(objects).find((t) => t.labels[COMPONENT] === component);
  if (!target) return [];
  const sources = new Set<string>();
  for (const p of byKind(objects, 'NetworkPolicy')) {
    if (!selects(p.spec.podSelector, target.labels)) continue;
    for (const rule of p.spec.ingress ?? []) {
      if (!rule.from || rule.from.length === 0) sources.add('*');
      for (const peer of rule.from ?? []) {
        if (peer.namespaceSelector || peer.ipBlock)
          sources.add(`namespace:${JSON.stringify(peer.namespaceSelector?.matchLabels ?? peer.ipBlock)}`);
        else for (const c of componentsSelected(objects, peer.podSelector)) sources.add(c);
      }
    }
  }
  return [...sources].sort();
}

/** Every data node has its own volume (a volumeClaimTemplate mounted at DATA_DIR), kept when pods go. */
export function dataVolumeProblems(objects: KubeObject[]): string[] {
  const problems: string[] = [];
  const dataSets = byKind(objects, 'StatefulSet').filter(
    (s) => s.spec.template.metadata.labels[COMPONENT] === 'data',
  );
  if (dataSets.length === 0) problems.push('no StatefulSet of data nodes');
  for (const s of dataSets) {
    const container = s.spec.template.spec.containers.find((c: Any) =>
      c.env?.some((e: Any) => e.name === 'DATA_DIR'),
    );
    const dir = container?.env.find((e: Any) => e.name === 'DATA_DIR')?.value;
    const mount = container?.volumeMounts?.find((m: Any) => m.mountPath === dir);
    const claim = (s.spec.volumeClaimTemplates ?? []).find((v: Any) => v.metadata.name === mount?.name);
    if (!claim)
      problems.push(`StatefulSet ${s.metadata.name}: DATA_DIR ${dir} is not on a volumeClaimTemplate`);
    if (
      s.spec.persistentVolumeClaimRetentionPolicy?.whenScaled !== 'Retain' ||
      s.spec.persistentVolumeClaimRetentionPolicy?.whenDeleted !== 'Retain'
    )
      problems.push(
        `StatefulSet ${s.metadata.name}: its claims are not retained when scaled down or deleted`,
      );
  }
  return problems;
}

/** Every PDB selects the pods of exactly one workload; data nodes, gateways, monitors, Redis and sentinels have one. */
export function disruptionBudgetProblems(objects: KubeObject[]): string[] {
  const problems: string[] = [];
  const pdbs = byKind(objects, 'PodDisruptionBudget');
  for (const pdb of pdbs) {
    const workloads = podTemplates(objects).filter((t) => selects(pdb.spec.selector, t.labels));
    if (workloads.length !== 1)
      problems.push(
        `PodDisruptionBudget ${pdb.metadata.name}: selects ${workloads.length} workloads (${workloads.map((w) => w.workload.metadata.name).join(', ') || 'none'})`,
      );
  }
  for (const component of ['data', 'gateway', 'monitor', 'redis', 'sentinel']) {
    const t = podTemplates(objects).find((w) => w.labels[COMPONENT] === component);
    if (t && !pdbs.some((pdb) => selects(pdb.spec.selector, t.labels)))
      problems.push(`${where(t)}: no PodDisruptionBudget`);
  }
  return problems;
}

/** Every container of the redoubt image is probed: readiness on /readyz, liveness on /healthz, on a port it declares. */
export function probeProblems(objects: KubeObject[]): string[] {
  const problems: string[] = [];
  for (const t of podTemplates(objects))
    for (const c of t.spec.containers.filter((c: Any) => String(c.image).includes('redoubt/app'))) {
      for (const [probe, path] of [
        ['readinessProbe', '/readyz'],
        ['livenessProbe', '/healthz'],
      ] as const) {
        const get = c[probe]?.httpGet;
        if (get?.path !== path) problems.push(`${where(t, c)}: ${probe} is not GET ${path}`);
        else if (!(c.ports ?? []).some((p: Any) => p.name === get.port || p.containerPort === get.port))
          problems.push(`${where(t, c)}: ${probe} port ${get.port} is not a port of the container`);
      }
    }
  return problems;
}

/** The environment of a container: literal values and ConfigMap keys (envFrom and configMapKeyRef) resolved. */
export function environmentOf(objects: KubeObject[], container: Any): Map<string, string> {
  const env = new Map<string, string>();
  for (const from of container.envFrom ?? [])
    if (from.configMapRef)
      for (const [k, v] of Object.entries(named(objects, 'ConfigMap', from.configMapRef.name)?.data ?? {}))
        env.set(k, String(v));
  for (const e of container.env ?? []) {
    if (e.value !== undefined) env.set(e.name, e.value);
    const m = e.valueFrom?.configMapKeyRef;
    if (m) env.set(e.name, String(named(objects, 'ConfigMap', m.name)?.data?.[m.key]));
  }
  return env;
}
