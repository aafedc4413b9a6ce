import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  REPO_ROOT,
  backupTargetProblems,
  dataVolumeProblems,
  disruptionBudgetProblems,
  ingressSources,
  monitoringObjects,
  networkPolicyProblems,
  podSecurityProblems,
  probeProblems,
  referenceProblems,
  renderOverlays,
  schemaProblems,
  serviceProblems,
  wiringProblems,
  type KubeObject,
} from './index.js';

// Rendered once, as a user would (secret files from new-secrets.sh, then `kubectl kustomize`); a
// missing kubectl fails here with what to install.
const overlays = renderOverlays(REPO_ROOT);
const overlay = (name: string) => overlays.find((o) => o.name === name)!.objects;
/* eslint-disable @typescript-eslint/no-explicit-any */
const find = (objects: KubeObject[], kind: string, name: string): any =>
  objects.find((o) => o.kind === kind && o.metadata.name === name);
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding']);

describe('deploy/kubernetes overlays', () => {
  it('renders every overlay, dev and production among them', () => {
    expect(overlays.map((o) => o.name)).toEqual(expect.arrayContaining(['dev', 'production']));
    expect(overlays.map((o) => o.name)).toEqual(
      readdirSync(join(REPO_ROOT, 'deploy/kubernetes/overlays'), { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort(),
    );
    for (const o of overlays) expect(o.objects.length, o.name).toBeGreaterThan(25);
  });

  describe.each(overlays.map((o) => [o.name, o.objects] as const))('%s', (_name, objects) => {
    it('every object is valid against the Kubernetes API schemas, without unknown fields', () => {
      expect(objects.flatMap(schemaProblems)).toEqual([]);
    });

    it('every namespaced object lands in the overlay namespace', () => {
      const namespace = objects.find((o) => o.kind === 'Namespace')!.metadata.name;
      const elsewhere = objects.filter(
        (o) => !CLUSTER_SCOPED.has(o.kind) && o.metadata.namespace !== namespace,
      );
      expect(elsewhere.map((o) => `${o.kind} ${o.metadata.name}`)).toEqual([]);
    });

    it('every container runs as non-root, unprivileged, read-only, with resources', () => {
      expect(podSecurityProblems(objects)).toEqual([]);
    });

    it('every Secret, ConfigMap, claim and service account a pod uses exists, with its keys', () => {
      expect(referenceProblems(objects)).toEqual([]);
    });

    it('network policies select real pods; only gateways, worker and monitors reach data nodes; only app pods reach Redis', () => {
      expect(networkPolicyProblems(objects)).toEqual([]);
      const prometheus = objects.some((o) => o.kind === 'ServiceMonitor')
        ? ['namespace:{"kubernetes.io/metadata.name":"monitoring"}']
        : [];
      expect(ingressSources(objects, 'data')).toEqual(['backup-worker', 'gateway', 'monitor', ...prometheus]);
      expect(ingressSources(objects, 'redis')).toEqual([
        'backup-worker',
        'gateway',
        'monitor',
        'redis',
        'sentinel',
      ]);
      expect(ingressSources(objects, 'sentinel')).toEqual(ingressSources(objects, 'redis'));
    });

    it('every data node has its own retained volume; PDBs select one workload each; probes hit /readyz and /healthz', () => {
      expect(dataVolumeProblems(objects)).toEqual([]);
      expect(disruptionBudgetProblems(objects)).toEqual([]);
      expect(probeProblems(objects)).toEqual([]);
    });

    it('services, DATA_NODES, Sentinel and the monitor (selector, SERVICES, RBAC) agree with the objects', () => {
      expect(serviceProblems(objects)).toEqual([]);
      expect(wiringProblems(objects)).toEqual([]);
    });

    it('the Secrets hold the generated values (no default) and nothing else', () => {
      // kustomize's generated names carry a content hash: redoubt-secrets-<hash>.
      const generated = (base: string): any =>
        objects.find(
          (o) => o.kind === 'Secret' && new RegExp(`^${base}-[a-z0-9]{10}$`).test(o.metadata.name),
        );
      const secret = generated('redoubt-secrets');
      const decoded = (key: string) => Buffer.from(String(secret.data[key]), 'base64').toString();
      expect(Object.keys(secret.data).sort()).toEqual([
        'admin-key',
        'api-keys',
        'backup-encryption-key',
        'backup-signing-key',
        'cluster-token',
        'redis-password',
        'redis-sentinel-password',
      ]);
      for (const key of [
        'admin-key',
        'api-keys',
        'cluster-token',
        'redis-password',
        'redis-sentinel-password',
      ])
        expect(decoded(key)).toMatch(/^[0-9a-f]{48}$/);
      for (const key of ['backup-encryption-key', 'backup-signing-key'])
        expect(decoded(key)).toMatch(/^[0-9a-f]{64}$/);
      expect(Object.keys(generated('redoubt-backup-s3').data).sort()).toEqual([
        'access-key-id',
        'secret-access-key',
      ]);
    });

    it('backups: BACKUP_TARGETS parses as the worker parses it, with an S3 target keyed from a Secret and a directory on a volume', () => {
      expect(backupTargetProblems(objects)).toEqual([]);
    });
  });

  it('production: three data nodes that must be in three zones, two gateways, two monitors, three sentinels', () => {
    const objects = overlay('production');
    const data = find(objects, 'StatefulSet', 'redoubt-data');
    expect(data.spec.replicas).toBe(3);
    expect(data.spec.template.spec.topologySpreadConstraints[0]).toMatchObject({
      topologyKey: 'topology.kubernetes.io/zone',
      whenUnsatisfiable: 'DoNotSchedule',
      minDomains: 3,
      maxSkew: 1,
    });
    expect(find(objects, 'Deployment', 'redoubt-gateway').spec.replicas).toBe(2);
    expect(find(objects, 'Deployment', 'redoubt-monitor').spec.replicas).toBe(2);
    expect(find(objects, 'StatefulSet', 'redoubt-redis').spec.replicas).toBe(2);
    expect(find(objects, 'StatefulSet', 'redoubt-sentinel').spec.replicas).toBe(3);
    expect(objects.filter((o) => o.kind === 'PodDisruptionBudget')).toHaveLength(5);
    expect(objects.filter((o) => o.kind === 'ServiceMonitor')).toHaveLength(1);
  });

  it('backup targets: production writes to AWS S3 (virtual-host style), dev to an in-cluster MinIO (path style)', () => {
    const targets = (objects: KubeObject[]) =>
      (
        objects.find(
          (o) => o.kind === 'ConfigMap' && /^redoubt-backup-[a-z0-9]{10}$/.test(o.metadata.name),
        ) as any
      ).data.BACKUP_TARGETS;
    expect(targets(overlay('production'))).toMatch(
      /^t1=s3:\/\/redoubt-backups\/production\?region=[a-z0-9-]+,t2=\/backups\/t2$/,
    );
    expect(targets(overlay('dev'))).toMatch(
      /^t1=s3:\/\/redoubt-backups\/dev\?endpoint=http:\/\/minio\.[^&]+&style=path/,
    );
  });

  it('dev: one gateway, one monitor, one sentinel; data nodes may share a zone', () => {
    const objects = overlay('dev');
    expect(find(objects, 'Deployment', 'redoubt-gateway').spec.replicas).toBe(1);
    expect(find(objects, 'Deployment', 'redoubt-monitor').spec.replicas).toBe(1);
    expect(find(objects, 'StatefulSet', 'redoubt-sentinel').spec.replicas).toBe(1);
    const spread = find(objects, 'StatefulSet', 'redoubt-data').spec.template.spec.topologySpreadConstraints;
    expect(spread[0]).toMatchObject({
      topologyKey: 'topology.kubernetes.io/zone',
      whenUnsatisfiable: 'ScheduleAnyway',
    });
  });

  it('overlays do not collide on cluster-scoped names (both can live in one cluster)', () => {
    const names = overlays.flatMap((o) =>
      o.objects
        .filter((x) => CLUSTER_SCOPED.has(x.kind) && x.kind !== 'ClusterRole')
        .map((x) => `${x.kind}/${x.metadata.name}`),
    );
    expect(new Set(names).size).toBe(names.length);
  });

  it('the repository holds no secret values: secret files are ignored and none is tracked', () => {
    const tracked = execFileSync('git', ['ls-files', 'deploy/kubernetes'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    expect(tracked.split('\n').filter((f) => /\/secrets\//.test(f))).toEqual([]);
    const ignored = execFileSync(
      'git',
      ['check-ignore', 'deploy/kubernetes/overlays/production/secrets/admin-key'],
      {
        cwd: REPO_ROOT,
        encoding: 'utf8',
      },
    );
    expect(ignored.trim()).toBe('deploy/kubernetes/overlays/production/secrets/admin-key');
  });

  it('the PrometheusRules and dashboard ConfigMaps are the current copies of deploy/prometheus/alerts and dashboards/', () => {
    for (const [path, content] of monitoringObjects(REPO_ROOT))
      expect(
        readFileSync(join(REPO_ROOT, path), 'utf8'),
        `${path} is stale: npm run generate -w @redoubt/deploy-checks`,
      ).toBe(content);
    const production = overlay('production');
    const rules = production.filter((o) => o.kind === 'PrometheusRule') as any[];
    const source = parse(readFileSync(join(REPO_ROOT, 'deploy/prometheus/alerts/monitor.rules.yml'), 'utf8'));
    expect(rules.find((r) => r.metadata.name === 'redoubt-monitor').spec.groups).toEqual(source.groups);
    const dashboards = production.filter(
      (o) => o.kind === 'ConfigMap' && o.metadata.labels?.grafana_dashboard === '1',
    );
    expect(dashboards).toHaveLength(
      readdirSync(join(REPO_ROOT, 'dashboards')).filter((f) => f.endsWith('.json')).length,
    );
  });
});
