import { readFileSync } from 'node:fs';
import { RedoubtError } from '@redoubt/errors';

/** The suffix that names a variable's file: `CLUSTER_TOKEN_FILE=/run/secrets/cluster-token`. */
export const SECRET_FILE_SUFFIX = '_FILE';

/**
 * The secrets that may come from a file. Only these: a machine has other `*_FILE` variables of its own
 * (`SSL_CERT_FILE`, `TF_CLI_CONFIG_FILE`, ...) that are paths for other programs, not redoubt's secrets,
 * and reading them (or refusing to start when one is missing) would be wrong.
 */
const SECRET_NAMES =
  /^(CLUSTER_TOKEN|ADMIN_KEY|API_KEYS|REDIS_PASSWORD|REDIS_SENTINEL_PASSWORD|BACKUP_ENCRYPTION_KEY|BACKUP_SIGNING_KEY|BACKUP_S3_[A-Z0-9_]+_(ACCESS_KEY_ID|SECRET_ACCESS_KEY))$/;

/** Whether `NAME` is one of redoubt's secrets, so that `NAME_FILE` supplies it. */
export function isSecretName(name: string): boolean {
  return SECRET_NAMES.test(name);
}

/**
 * The `*_FILE` convention (as the official Postgres and Redis images have it): for every `NAME_FILE` set in
 * `env` where NAME is one of redoubt's secrets (isSecretName), `NAME` becomes the content of that file, without the line end a text editor or `echo` adds.
 * Docker Swarm and Kubernetes mount secrets as files (`/run/secrets/<name>`); reading them there keeps the
 * value out of `docker inspect`, the process environment of other containers and the service definition.
 *
 * Returns a copy of `env` with the values filled in. Refuses (CONFIG_INVALID naming every problem at once):
 * a `NAME` set as well to another value (which one would win is a guess), a file that cannot be read, an
 * empty file.
 */
export function withSecretFiles(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const resolved: NodeJS.ProcessEnv = { ...env };
  const problems: string[] = [];
  const variables: string[] = [];
  for (const [key, path] of Object.entries(env)) {
    if (!key.endsWith(SECRET_FILE_SUFFIX) || !path) continue;
    const name = key.slice(0, -SECRET_FILE_SUFFIX.length);
    if (!isSecretName(name)) continue;
    const problem = (message: string) => {
      problems.push(`${key}: ${message}`);
      variables.push(key);
    };
    let content: string;
    try {
      content = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      problem(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      continue;
    }
    if (content.trim() === '') {
      problem(`${path} is empty`);
      continue;
    }
    // The same value already there is the file read before (an entry point filled process.env): fine.
    if (env[name] && env[name] !== content) {
      problem(`${name} is set too: set one of ${name} and ${key}`);
      continue;
    }
    resolved[name] = content;
  }
  if (problems.length > 0)
    throw new RedoubtError('CONFIG_INVALID', `invalid configuration:\n  ${problems.join('\n  ')}`, {
      variables,
    });
  return resolved;
}

/**
 * For a process entry point: fills `process.env` itself from the `*_FILE` variables, so that code that
 * reads a variable later (per-target credentials, libraries) sees the secret too.
 */
export function readSecretFilesIntoEnv(env: NodeJS.ProcessEnv = process.env): void {
  const resolved = withSecretFiles(env);
  for (const [key, value] of Object.entries(resolved)) if (env[key] !== value) env[key] = value;
}
