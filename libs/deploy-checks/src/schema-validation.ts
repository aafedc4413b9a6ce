import { ObjectSerializer } from '@kubernetes/client-node/dist/serializer.js';
import {
  ServiceMonitor,
  PrometheusRule,
} from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import {
  ClusterRole,
  ClusterRoleBinding,
  Role,
  RoleBinding,
} from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import {
  ConfigMap,
  Namespace,
  PersistentVolumeClaim,
  Secret,
  Service,
  ServiceAccount,
} from 'kubernetes-models/v1';
import type { KubeObject } from './render.js';

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: never) => Validatable;

/** The model class of each kind the manifests use; a kind not listed here is a problem, not a pass. */
const MODELS: Record<string, ModelClass> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Namespace': Namespace,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
};

/**
 * Problems of one object against the Kubernetes API schemas:
 * - kubernetes-models (JSON schemas of the API's OpenAPI document): types, required fields, enums;
 * - fields the API does not know (a typo such as `readinesProbe` passes a JSON schema that allows extra
 *   properties, and the API server drops or refuses it): the object is read into @kubernetes/client-node's
 *   typed model and written back, and every field that did not survive is reported. Core kinds only
 *   (the client has no models of the operator's CRDs).
 */
export function schemaProblems(object: KubeObject): string[] {
  const id = `${object.kind} ${object.metadata?.name}`;
  const Model = MODELS[`${object.apiVersion}/${object.kind}`];
  if (!Model) return [`${id}: no schema known for ${object.apiVersion} ${object.kind}`];
  const problems: string[] = [];
  try {
    new Model(asTheApiServerReadsIt(object) as never).validate();
  } catch (error) {
    problems.push(`${id}: ${(error as Error).message}`);
  }
  if (object.apiVersion !== 'monitoring.coreos.com/v1') {
    const type = `V1${object.kind}`;
    const back = ObjectSerializer.serialize(
      ObjectSerializer.deserialize(structuredClone(object), type),
      type,
    );
    for (const path of droppedFields(object, back)) problems.push(`${id}: unknown field ${path}`);
  }
  return problems;
}

/**
 * kustomize wraps the base64 values of a generated Secret at about 70 characters (a YAML block with line breaks);
 * the API server's base64 decoder skips line breaks, the schema's `byte` format does not: unwrap them.
 */
function asTheApiServerReadsIt(object: KubeObject): KubeObject {
  const copy = structuredClone(object);
  const data = copy.kind === 'Secret' ? (copy.data as Record<string, unknown> | undefined) : undefined;
  for (const [key, value] of Object.entries(data ?? {}))
    if (typeof value === 'string') data![key] = value.replace(/[\r\n]/g, '');
  return copy;
}

function droppedFields(original: unknown, back: unknown, path = ''): string[] {
  if (Array.isArray(original))
    return original.flatMap((item, i) =>
      droppedFields(item, (back as unknown[] | undefined)?.[i], `${path}[${i}]`),
    );
  if (!original || typeof original !== 'object') return [];
  // Free-form maps (labels, annotations, ConfigMap data...) come back whole or not at all.
  if (!back || typeof back !== 'object') return [path || '.'];
  return Object.entries(original as Record<string, unknown>).flatMap(([key, value]) =>
    Object.hasOwn(back, key)
      ? droppedFields(value, (back as Record<string, unknown>)[key], `${path}.${key}`)
      : [`${path}.${key}`],
  );
}
