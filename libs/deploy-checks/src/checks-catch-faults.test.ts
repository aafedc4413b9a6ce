import { describe, expect, it } from 'vitest';
import {
  REPO_ROOT,
  backupTargetProblems,
  dataVolumeProblems,
  disruptionBudgetProblems,
  ingressSources,
  networkPolicyProblems,
  podSecurityProblems,
  probeProblems,
  referenceProblems,
  renderOverlays,
  schemaProblems,
  selects,
  serviceProblems,
  wiringProblems,
  type KubeObject,
} from './index.js';

// Each check is shown to fail: the production render, with one fault put in, must be reported.
const production = renderOverlays(REPO_ROOT).find((o) => o.name === 'production')!.objects;
/* eslint-disable @typescript-eslint/no-explicit-any */
function broken(change: (find: (kind: string, name: string) => any) => void): KubeObject[] {
  const copy = structuredClone(production);
  change((kind, name) => copy.find((o) => o.kind === kind && o.metadata.name === name));
  return copy;
}
const container = (o: any, i = 0) => o.spec.template.spec.containers[i];

describe('the deploy checks catch the faults they are for', () => {
  it('schemas: a wrong type, a missing required field, an unknown (misspelt) field', () => {
    const typed = broken(
      (find) => (container(find('StatefulSet', 'redoubt-data')).ports[0].containerPort = '7101'),
    );
    expect(typed.flatMap(schemaProblems)).toEqual([expect.stringMatching(/containerPort must be integer/)]);
    const required = broken((find) => delete find('Deployment', 'redoubt-gateway').spec.selector);
    expect(required.flatMap(schemaProblems)).toEqual([
      expect.stringMatching(/spec must have required property selector/),
    ]);
    const misspelt = broken((find) => {
      const c = container(find('Deployment', 'redoubt-monitor'));
      c.readinesProbe = c.readinessProbe;
    });
    expect(misspelt.flatMap(schemaProblems)).toEqual([
      'Deployment redoubt-monitor: unknown field .spec.template.spec.containers[0].readinesProbe',
    ]);
    const crd = broken((find) => (find('ServiceMonitor', 'redoubt').spec.endpoints[0].honorLabels = 'yes'));
    expect(crd.flatMap(schemaProblems)).toEqual([expect.stringMatching(/honorLabels must be boolean/)]);
  });

  it('pod security: root, privilege escalation, a writable root, no limits', () => {
    const root = broken((find) => {
      const sts = find('StatefulSet', 'redoubt-redis');
      sts.spec.template.spec.securityContext.runAsUser = 0;
      delete sts.spec.template.spec.securityContext.runAsNonRoot;
      container(sts).securityContext.allowPrivilegeEscalation = true;
      container(sts).securityContext.readOnlyRootFilesystem = false;
      delete container(sts).resources.limits;
    });
    expect(podSecurityProblems(root)).toEqual([
      'StatefulSet redoubt-redis container redis: runAsNonRoot is not true',
      'StatefulSet redoubt-redis container redis: runs as uid 0',
      'StatefulSet redoubt-redis container redis: allowPrivilegeEscalation is not false',
      'StatefulSet redoubt-redis container redis: root file system is writable',
      'StatefulSet redoubt-redis container redis: no cpu request or memory request and limit',
    ]);
  });

  it('references: a Secret key that does not exist, a literal secret, a missing ConfigMap', () => {
    const wrong = broken((find) => {
      const c = container(find('Deployment', 'redoubt-gateway'));
      c.env.find((e: any) => e.name === 'API_KEYS').valueFrom.secretKeyRef.key = 'api-key';
      c.env.push({ name: 'ADMIN_KEY', value: 'change-me-change-me' });
      c.envFrom[0].configMapRef.name = 'redoubt-clustre';
    });
    const reordered = broken((find) => {
      const env = container(find('Deployment', 'redoubt-monitor')).env;
      env.unshift(
        ...env.splice(
          env.findIndex((e: any) => e.name === 'MONITOR_URL'),
          1,
        ),
      );
    });
    expect(referenceProblems(reordered)).toEqual([
      'Deployment redoubt-monitor container monitor: MONITOR_URL uses $(POD_IP) before it is defined',
    ]);
    const problems = referenceProblems(wrong);
    expect(problems).toContainEqual(expect.stringMatching(/has no key api-key/));
    expect(problems).toContainEqual(expect.stringMatching(/ADMIN_KEY has a literal value/));
    expect(problems).toContainEqual(expect.stringMatching(/ConfigMap redoubt-clustre does not exist/));
  });

  it('network policies: a selector with a typo, a data node open to everyone', () => {
    const typo = broken((find) => {
      find('NetworkPolicy', 'redoubt-data').spec.ingress[0].from[0].podSelector.matchExpressions[1].values = [
        'gateways',
      ];
    });
    expect(networkPolicyProblems(typo)).toEqual([
      "NetworkPolicy redoubt-data: a peer's podSelector matches no pod",
    ]);
    const open = broken((find) =>
      find('NetworkPolicy', 'redoubt-data').spec.ingress.push({ ports: [{ port: 'http' }] }),
    );
    expect(ingressSources(open, 'data')).toContain('*');
    const uncovered = broken(
      (find) => (find('NetworkPolicy', 'redoubt-default-deny').spec.podSelector.matchLabels = { x: 'y' }),
    );
    expect(networkPolicyProblems(uncovered)).toEqual(
      expect.arrayContaining(['NetworkPolicy redoubt-default-deny: its podSelector matches no pod']),
    );
  });

  it('volumes, budgets, probes: no claim for DATA_DIR, a PDB that selects nothing, a probe on the wrong path', () => {
    expect(
      dataVolumeProblems(
        broken((find) => delete find('StatefulSet', 'redoubt-data').spec.volumeClaimTemplates),
      ),
    ).toEqual(['StatefulSet redoubt-data: DATA_DIR /data is not on a volumeClaimTemplate']);
    const pdb = broken(
      (find) =>
        (find('PodDisruptionBudget', 'redoubt-data').spec.selector.matchLabels[
          'app.kubernetes.io/component'
        ] = 'date'),
    );
    expect(disruptionBudgetProblems(pdb)).toEqual([
      'PodDisruptionBudget redoubt-data: selects 0 workloads (none)',
      'StatefulSet redoubt-data: no PodDisruptionBudget',
    ]);
    const probe = broken(
      (find) =>
        (container(find('Deployment', 'redoubt-backup-worker')).readinessProbe.httpGet.path = '/healthz'),
    );
    expect(probeProblems(probe)).toEqual([
      'Deployment redoubt-backup-worker container backup-worker: readinessProbe is not GET /readyz',
    ]);
  });

  it('wiring: fewer data pods than DATA_NODES names, a monitor allowed to create pods, a Service selecting nothing', () => {
    const scaled = broken((find) => (find('StatefulSet', 'redoubt-data').spec.replicas = 2));
    expect(wiringProblems(scaled)).toEqual([
      'DATA_NODES lists 3 nodes; the StatefulSet runs 2, REPLICAS is 3',
    ]);
    // Scaled up for `redoubt node add`: the seed list stays as it is.
    expect(wiringProblems(broken((find) => (find('StatefulSet', 'redoubt-data').spec.replicas = 4)))).toEqual(
      [],
    );
    const creates = broken((find) => find('Role', 'redoubt-monitor').rules[0].verbs.push('create'));
    expect(wiringProblems(creates)).toEqual([expect.stringMatching(/may nodes:get pods:create pods:delete/)]);
    const svc = broken(
      (find) => (find('Service', 'redoubt-gateway').spec.selector['app.kubernetes.io/component'] = 'gw'),
    );
    expect(serviceProblems(svc)).toEqual(['Service redoubt-gateway: selects 0 workloads']);
  });

  it('backups: a target the worker refuses, no S3 target, a literal S3 key, a directory on the root file system, a short key', () => {
    // kustomize's generated names carry a content hash: redoubt-backup-<hash>, redoubt-secrets-<hash>.
    const generated = (kind: string, base: string) =>
      production.find((o) => o.kind === kind && new RegExp(`^${base}-[a-z0-9]{10}$`).test(o.metadata.name))!
        .metadata.name;
    const backupConfig = (find: (kind: string, name: string) => any) =>
      find('ConfigMap', generated('ConfigMap', 'redoubt-backup'));
    const env = (find: (kind: string, name: string) => any) =>
      container(find('Deployment', 'redoubt-backup-worker')).env;
    const refused = broken(
      (find) => (backupConfig(find).data.BACKUP_TARGETS = 't1=s3://Bad_Bucket/x,t2=/backups/t2'),
    );
    expect(backupTargetProblems(refused)).toEqual([expect.stringMatching(/target t1: .*bucket/i)]);
    const local = broken((find) => (backupConfig(find).data.BACKUP_TARGETS = 't2=/backups/t2'));
    expect(backupTargetProblems(local)).toEqual([expect.stringMatching(/no s3:\/\/ target/)]);
    const literal = broken((find) => {
      const e = env(find).find((x: any) => x.name === 'BACKUP_S3_T1_SECRET_ACCESS_KEY');
      delete e.valueFrom;
      e.value = 'x'.repeat(40);
    });
    expect(backupTargetProblems(literal)).toEqual([
      expect.stringMatching(
        /BACKUP_TARGETS .*set both BACKUP_S3_T1_ACCESS_KEY_ID and BACKUP_S3_T1_SECRET_ACCESS_KEY/,
      ),
    ]);
    expect(referenceProblems(literal)).toEqual([
      expect.stringMatching(/BACKUP_S3_T1_SECRET_ACCESS_KEY has a literal value/),
    ]);
    const rootfs = broken(
      (find) => (backupConfig(find).data.BACKUP_TARGETS = 't1=s3://redoubt-backups/p,t2=/var/backups'),
    );
    expect(backupTargetProblems(rootfs)).toEqual([
      expect.stringMatching(/directory target t2 .* not on a writable persistent volume/),
    ]);
    const shortKey = broken((find) => {
      const secret = find('Secret', generated('Secret', 'redoubt-secrets'));
      secret.data['backup-signing-key'] = Buffer.from('abc').toString('base64');
    });
    expect(backupTargetProblems(shortKey)).toEqual(['BACKUP_SIGNING_KEY is not 32 bytes as hex']);
  });

  it('label selectors: In, NotIn, Exists, DoesNotExist as the API server reads them', () => {
    const labels = { a: '1', b: '2' };
    expect(selects({ matchExpressions: [{ key: 'a', operator: 'In', values: ['1', '3'] }] }, labels)).toBe(
      true,
    );
    expect(selects({ matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['1'] }] }, labels)).toBe(
      false,
    );
    expect(selects({ matchExpressions: [{ key: 'c', operator: 'DoesNotExist' }] }, labels)).toBe(true);
    expect(selects({ matchExpressions: [{ key: 'c', operator: 'Exists' }] }, labels)).toBe(false);
    expect(selects({}, labels)).toBe(true);
  });
});
