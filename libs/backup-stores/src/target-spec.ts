import { openDirectoryTarget, type BackupStore, type BackupStoreOpener } from '@redoubt/backup';
import { RedoubtError } from '@redoubt/errors';
import { DEFAULT_MAX_ATTEMPTS, S3BackupStore, type S3StoreConfig } from './s3-store.js';

/**
 * Query keys of an `s3://bucket/prefix?...` target (BACKUP_TARGETS):
 *
 * | key        | meaning                                                        | default                      |
 * | ---------- | -------------------------------------------------------------- | ---------------------------- |
 * | `endpoint` | http(s) URL of an S3-compatible server (MinIO, Garage, ...)    | AWS S3                       |
 * | `region`   | signing region                                                 | AWS_REGION, else us-east-1   |
 * | `style`    | `path` (endpoint/bucket/key) or `virtual` (bucket.endpoint/key) | `path` with an endpoint, else `virtual` |
 * | `attempts` | attempts per request (SDK standard retry, backoff + jitter)    | 6                            |
 * | `partMiB`  | multipart part size in MiB (>= 5)                              | 16                           |
 *
 * Credentials are never part of the spec (it is logged and shown): `BACKUP_S3_<ID>_ACCESS_KEY_ID` and
 * `BACKUP_S3_<ID>_SECRET_ACCESS_KEY` (ID = the target id upper-cased, `-` as `_`) when set, else the
 * SDK's default chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_PROFILE, instance roles...).
 */
export const S3_QUERY_KEYS = ['endpoint', 'region', 'style', 'attempts', 'partMiB'] as const;

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function invalid(id: string, what: string): RedoubtError {
  return new RedoubtError('CONFIG_INVALID', `BACKUP_TARGETS: target ${id}: ${what}`, {
    variable: 'BACKUP_TARGETS',
    target: id,
  });
}

/** The environment variable prefix of a target's own credentials: `BACKUP_S3_T2_`. */
export function credentialVariable(id: string, which: 'ACCESS_KEY_ID' | 'SECRET_ACCESS_KEY'): string {
  return `BACKUP_S3_${id.toUpperCase().replace(/-/g, '_')}_${which}`;
}

/** Parses an `s3://` location into the S3 store's configuration (CONFIG_INVALID naming the problem). */
export function parseS3Location(id: string, location: string, env: NodeJS.ProcessEnv): S3StoreConfig {
  const rest = location.slice('s3://'.length);
  const q = rest.indexOf('?');
  const path = q >= 0 ? rest.slice(0, q) : rest;
  const query = new URLSearchParams(q >= 0 ? rest.slice(q + 1) : '');
  const slash = path.indexOf('/');
  const bucket = slash >= 0 ? path.slice(0, slash) : path;
  const prefix = (slash >= 0 ? path.slice(slash + 1) : '').replace(/^\/+|\/+$/g, '');
  if (!BUCKET.test(bucket) || bucket.includes('..')) {
    throw invalid(id, `"${bucket}" is not a valid bucket name (3-63 of a-z 0-9 . -)`);
  }
  if (prefix.split('/').some((p) => p === '.' || p === '..') || /\/\//.test(prefix)) {
    throw invalid(id, `the key prefix "${prefix}" has empty, . or .. components`);
  }
  for (const key of query.keys()) {
    if (!(S3_QUERY_KEYS as readonly string[]).includes(key)) {
      throw invalid(id, `unknown option "${key}" (known: ${S3_QUERY_KEYS.join(', ')})`);
    }
  }
  const endpoint = query.get('endpoint') ?? undefined;
  if (endpoint !== undefined) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw invalid(id, `endpoint "${endpoint}" is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw invalid(id, `endpoint "${endpoint}" must be http:// or https://`);
    }
    if (url.username || url.password) {
      throw invalid(
        id,
        `endpoint must not carry credentials (use ${credentialVariable(id, 'ACCESS_KEY_ID')})`,
      );
    }
  }
  const style = query.get('style') ?? (endpoint ? 'path' : 'virtual');
  if (style !== 'path' && style !== 'virtual')
    throw invalid(id, `style must be path or virtual, not "${style}"`);
  const number = (key: string, min: number, max: number): number | undefined => {
    const raw = query.get(key);
    if (raw === null) return undefined;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw invalid(id, `${key} must be an integer from ${min} to ${max}, not "${raw}"`);
    }
    return value;
  };
  const attempts = number('attempts', 1, 20) ?? DEFAULT_MAX_ATTEMPTS;
  const partMiB = number('partMiB', 5, 5 * 1024);
  const keyId = env[credentialVariable(id, 'ACCESS_KEY_ID')];
  const secret = env[credentialVariable(id, 'SECRET_ACCESS_KEY')];
  if (Boolean(keyId) !== Boolean(secret)) {
    throw invalid(
      id,
      `set both ${credentialVariable(id, 'ACCESS_KEY_ID')} and ${credentialVariable(id, 'SECRET_ACCESS_KEY')}, or neither`,
    );
  }
  return {
    bucket,
    prefix,
    ...(endpoint ? { endpoint } : {}),
    region: query.get('region') || env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    forcePathStyle: style === 'path',
    ...(keyId && secret ? { credentials: { accessKeyId: keyId, secretAccessKey: secret } } : {}),
    maxAttempts: attempts,
    ...(partMiB ? { partBytes: partMiB * 1024 * 1024 } : {}),
  };
}

/**
 * The BackupStoreOpener the apps give loadBackupSettings: `/abs/dir` opens a directory store,
 * `s3://...` an S3 store (credentials from `env`).
 */
export function backupStoreOpener(env: NodeJS.ProcessEnv = process.env): BackupStoreOpener {
  return ({ id, location }): BackupStore => {
    if (location.startsWith('s3://')) return new S3BackupStore(parseS3Location(id, location, env), id);
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
      throw invalid(id, `"${location.split('?')[0]}" uses an unsupported scheme (use /abs/dir or s3://)`);
    }
    return openDirectoryTarget({ id, location });
  };
}
