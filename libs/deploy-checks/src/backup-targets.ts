import { parseBackupTargets, type BackupTarget } from '@redoubt/backup';
import { backupStoreOpener, credentialVariable } from '@redoubt/backup-stores';
import { COMPONENT, environmentOf, named, podTemplates } from './manifest-checks.js';
import type { KubeObject } from './render.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered manifests are plain JSON, read by path */
type Any = any;

/** A Secret's value as the pod would read it (base64 `data`, or `stringData`). */
function secretValue(objects: KubeObject[], name: string, key: string): string | undefined {
  const secret: Any = named(objects, 'Secret', name);
  if (secret?.stringData?.[key] !== undefined) return String(secret.stringData[key]);
  const encoded = secret?.data?.[key];
  return encoded === undefined ? undefined : Buffer.from(String(encoded), 'base64').toString();
}

/**
 * The backup-worker's targets, read as the worker reads them: BACKUP_TARGETS (from its ConfigMap) parsed by
 * the worker's own parser and store opener, each `s3://` target's key pair and the backup keys resolved from
 * the rendered Secrets. Problems: a spec the worker would refuse, no S3 target (every copy would stay in
 * the cluster), an S3 target without its own key pair from a Secret, a directory target not on a
 * persistent volume (it would vanish with the pod), backup keys that are not Secret values of 32 bytes.
 */
export function backupTargetProblems(objects: KubeObject[]): string[] {
  const worker = podTemplates(objects).find((t) => t.labels[COMPONENT] === 'backup-worker');
  if (!worker) return ['no backup-worker workload'];
  const container = worker.spec.containers[0];
  const entries: Any[] = container.env ?? [];
  const fromSecret = (variable: string): string | undefined => {
    const ref = entries.find((e) => e.name === variable)?.valueFrom?.secretKeyRef;
    return ref ? secretValue(objects, ref.name, ref.key) : undefined;
  };
  const problems: string[] = [];
  const spec = environmentOf(objects, container).get('BACKUP_TARGETS');
  if (!spec || spec === 'undefined') return ['the backup-worker has no BACKUP_TARGETS'];

  // Only what parsing needs: the S3 key pairs as the Secrets hold them.
  const env: NodeJS.ProcessEnv = {};
  for (const e of entries)
    if (/^BACKUP_S3_/.test(e.name)) {
      const value = fromSecret(e.name);
      if (value !== undefined) env[e.name] = value;
    }
  let targets: BackupTarget[];
  try {
    targets = parseBackupTargets(spec, backupStoreOpener(env));
  } catch (error) {
    return [`BACKUP_TARGETS ${spec}: ${(error as Error).message}`];
  }
  const s3 = targets.filter((t) => t.location.startsWith('s3://'));
  if (s3.length === 0)
    problems.push(`BACKUP_TARGETS ${spec}: no s3:// target (every copy stays in the cluster)`);
  for (const target of s3)
    for (const which of ['ACCESS_KEY_ID', 'SECRET_ACCESS_KEY'] as const) {
      const variable = credentialVariable(target.id, which);
      if (!fromSecret(variable))
        problems.push(`S3 target ${target.id}: ${variable} does not come from a Secret`);
    }

  const mounts: Any[] = container.volumeMounts ?? [];
  const volumes: Any[] = worker.spec.volumes ?? [];
  for (const target of targets.filter((t) => t.location.startsWith('/'))) {
    const mount = mounts
      .filter((m) => target.location === m.mountPath || target.location.startsWith(`${m.mountPath}/`))
      .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
    const volume = volumes.find((v) => v.name === mount?.name);
    if (!volume?.persistentVolumeClaim || mount.readOnly)
      problems.push(
        `directory target ${target.id} (${target.location}) is not on a writable persistent volume of the worker`,
      );
  }

  for (const variable of ['BACKUP_ENCRYPTION_KEY', 'BACKUP_SIGNING_KEY']) {
    const value = fromSecret(variable);
    if (value === undefined) problems.push(`${variable} does not come from a Secret`);
    else if (!/^[0-9a-f]{64}$/.test(value)) problems.push(`${variable} is not 32 bytes as hex`);
  }
  return problems;
}
