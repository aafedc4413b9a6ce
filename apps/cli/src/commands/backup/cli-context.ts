import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadBackupSettings, type BackupSettings } from '@redoubt/backup';
import { backupStoreOpener } from '@redoubt/backup-stores';
import { ClusterMap } from '@redoubt/cluster-client';
import {
  checkRedisEnv,
  loadConfig,
  redisEnvShape,
  redisTargetOf,
  z,
  type RedisEndpoint,
} from '@redoubt/config';
import { RedoubtError } from '@redoubt/errors';
import { backupKeyFiles, homePaths, readStackFile, REPO_ROOT, type StackFile } from '@redoubt/local-stack';
import { build } from '@redoubt/placement';
import { PlacementStore, type PublishedPlacement } from '@redoubt/membership';
import { createRedisConnection } from '@redoubt/queues';

/**
 * Where the CLI finds the cluster: the environment first (the same variables as the services, see
 * docs/service-contracts.md), then the stack file of a local stack (`<REDOUBT_HOME>/stack.json`, default
 * `<repo>/.redoubt`). Backup targets: BACKUP_TARGETS (S3 keys from BACKUP_S3_<ID>_* or the SDK's chain),
 * else the running local stack's targets and S3 keys from stack.json (the same the backup-worker is given
 * there), else `<REDOUBT_HOME>/backups/t1..t3`. Keys: BACKUP_ENCRYPTION_KEY and
 * BACKUP_SIGNING_KEY, else the files `<REDOUBT_HOME>/backup.key` and `backup-signing.key` that a local stack
 * creates once and keeps across runs (docs/runbooks/backup-keys.md).
 */
export interface CliContext {
  home: string;
  /** 'env', 'stack.json' or 'env+stack.json': where the cluster settings came from. */
  source: string;
  dataNodes: { id: string; url: string }[];
  zones: Map<string, string>;
  clusterToken: string | undefined;
  /** The queues' Redis: REDIS_URL, or REDIS_SENTINELS + REDIS_SENTINEL_NAME, else the local stack's. */
  redis: RedisEndpoint | undefined;
  queuePrefix: string;
  partitions: number;
  replicas: number;
  settings: BackupSettings;
}

function parseIdList(text: string, variable: string): { id: string; value: string }[] {
  return text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .map((part) => {
      const eq = part.indexOf('=');
      if (eq <= 0)
        throw new RedoubtError('CONFIG_INVALID', `${variable}: "${part}" is not id=value`, { variable });
      return { id: part.slice(0, eq), value: part.slice(eq + 1).replace(/\/+$/, '') };
    });
}

function positive(text: string | undefined, variable: string): number | undefined {
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new RedoubtError(
      'CONFIG_INVALID',
      `${variable} must be a positive integer, not ${JSON.stringify(text)}`,
      { variable },
    );
  return n;
}

export function defaultBackupTargets(home: string): string {
  return [1, 2, 3].map((i) => `t${i}=${join(home, 'backups', `t${i}`)}`).join(',');
}

export function resolveContext(env: NodeJS.ProcessEnv = process.env): CliContext {
  const home = env.REDOUBT_HOME || join(REPO_ROOT, '.redoubt');
  const stack: StackFile | undefined = readStackFile(homePaths(home).stackFile);
  const used = new Set<string>();
  const pick = <T>(fromEnv: T | undefined, fromStack: T | undefined, fallback: T): T => {
    if (fromEnv !== undefined) {
      used.add('env');
      return fromEnv;
    }
    if (fromStack !== undefined) {
      used.add('stack.json');
      return fromStack;
    }
    return fallback;
  };
  const dataNodes = pick(
    env.DATA_NODES
      ? parseIdList(env.DATA_NODES, 'DATA_NODES').map(({ id, value }) => ({ id, url: value }))
      : undefined,
    stack?.dataNodes.map((n) => ({ id: n.id, url: n.url })),
    [],
  );
  const zones = new Map(
    env.DATA_NODE_ZONES
      ? parseIdList(env.DATA_NODE_ZONES, 'DATA_NODE_ZONES').map(({ id, value }) => [id, value])
      : [],
  );
  // The local stack's key files (the worker there gets the same ones), unless the environment names keys.
  const keyFiles = backupKeyFiles(home);
  const fromFile = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined);
  const encryptionKey = fromFile(keyFiles.encryption);
  const signingKey = fromFile(keyFiles.signing);
  // Loaded on first use: commands that never touch a backup target (status reads the backup queue's
  // health from Redis) must not require the backup keys. Targets: the running stack's (an s3rver bucket
  // and a directory) with its S3 keys, unless the environment names its own.
  let settings: BackupSettings | undefined;
  const backupSettings = () =>
    (settings ??= loadBackupSettings(
      env,
      {
        BACKUP_TARGETS: stack?.backups?.targets ?? defaultBackupTargets(home),
        ...(encryptionKey ? { BACKUP_ENCRYPTION_KEY: encryptionKey } : {}),
        ...(signingKey ? { BACKUP_SIGNING_KEY: signingKey } : {}),
      },
      backupStoreOpener(env.BACKUP_TARGETS ? env : { ...stack?.backups?.env, ...env }),
    ));
  return {
    home,
    source: [...used].join('+') || 'defaults',
    dataNodes,
    zones,
    clusterToken: pick(env.CLUSTER_TOKEN || undefined, stack?.keys.clusterToken, undefined),
    redis: redisOf(env, stack),
    queuePrefix: pick(env.QUEUE_PREFIX || undefined, stack?.cluster.queuePrefix, 'redoubt'),
    partitions: pick(positive(env.PARTITIONS, 'PARTITIONS'), stack?.cluster.partitions, 4096),
    replicas: pick(positive(env.REPLICAS, 'REPLICAS'), stack?.cluster.replicas, 3),
    get settings() {
      return backupSettings();
    },
  };
}

/**
 * The cluster as the services see it: the placement epoch the monitor published in Redis when there is
 * one (restores must reach the replicas of the current placement), else epoch 1 built from DATA_NODES,
 * as every service builds it before the monitor publishes (docs/service-contracts.md).
 */
export async function clusterMapOf(context: CliContext): Promise<{ map: ClusterMap; placement: string }> {
  const published = context.redis
    ? await readPublishedPlacement(context.redis, context.queuePrefix)
    : undefined;
  if (published) {
    if (!context.clusterToken) {
      throw new RedoubtError(
        'CONFIG_INVALID',
        'no cluster token: set CLUSTER_TOKEN (or run against a local stack)',
        { variable: 'CLUSTER_TOKEN' },
      );
    }
    const nodes = published.nodes.length > 0 ? published.nodes : context.dataNodes;
    return {
      map: new ClusterMap({
        matrix: published.matrix,
        nodes,
        clusterToken: context.clusterToken,
        client: { timeoutMs: 10_000 },
      }),
      placement: `published epoch ${published.matrix.epoch}`,
    };
  }
  return { map: builtClusterMap(context), placement: 'epoch 1 built from DATA_NODES' };
}

/**
 * Runs `read` on a short-lived Redis connection: the command waits for the connection (offline queue) but
 * no longer than the timeouts, one attempt only; undefined when Redis does not answer or `read` fails.
 */
export async function readBriefly<T>(
  redisTarget: RedisEndpoint,
  read: (redis: ReturnType<typeof createRedisConnection>) => Promise<T>,
): Promise<T | undefined> {
  const redis = createRedisConnection(redisTarget, 'worker', {
    connectTimeout: 2_000,
    commandTimeout: 2_000,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    return await read(redis);
  } catch {
    return undefined;
  } finally {
    redis.disconnect();
  }
}

/** The monitor's current placement, or undefined when none is published or Redis does not answer in time. */
function readPublishedPlacement(
  redisTarget: RedisEndpoint,
  prefix: string,
): Promise<PublishedPlacement | undefined> {
  return readBriefly(redisTarget, (redis) => new PlacementStore(redis, prefix).read());
}

function builtClusterMap(context: CliContext): ClusterMap {
  if (context.dataNodes.length === 0) {
    throw new RedoubtError(
      'CONFIG_INVALID',
      `no data nodes: set DATA_NODES (id=url,...) or start the local stack (npm start) so that ${homePaths(context.home).stackFile} exists`,
      { variable: 'DATA_NODES' },
    );
  }
  if (!context.clusterToken) {
    throw new RedoubtError(
      'CONFIG_INVALID',
      'no cluster token: set CLUSTER_TOKEN (or run against a local stack)',
      { variable: 'CLUSTER_TOKEN' },
    );
  }
  const matrix = build(
    context.dataNodes.map((n) => ({ id: n.id, zone: context.zones.get(n.id) ?? n.id, weight: 1 })),
    {
      partitions: context.partitions,
      replicas: Math.min(context.replicas, context.dataNodes.length),
      epoch: 1,
    },
  );
  return new ClusterMap({
    matrix,
    nodes: context.dataNodes,
    clusterToken: context.clusterToken,
    client: { timeoutMs: 10_000 },
  });
}

export function requireRedis(context: CliContext): RedisEndpoint {
  if (!context.redis) {
    throw new RedoubtError(
      'CONFIG_INVALID',
      'no Redis: set REDIS_URL or REDIS_SENTINELS with REDIS_SENTINEL_NAME (or run against a local stack), ' +
        'or use --local to work from this process',
      { variable: 'REDIS_URL' },
    );
  }
  return context.redis;
}

const redisEnvSchema = z.object(redisEnvShape).superRefine(checkRedisEnv);

/** The environment's Redis variables when any is set, else the local stack's; a wrong value is named. */
function redisOf(env: NodeJS.ProcessEnv, stack: StackFile | undefined): RedisEndpoint | undefined {
  const fromEnv = Boolean(env.REDIS_URL || env.REDIS_SENTINELS);
  const variables = fromEnv
    ? env
    : {
        REDIS_URL: stack?.redis.url,
        REDIS_SENTINELS: stack?.redis.sentinels,
        REDIS_SENTINEL_NAME: stack?.redis.sentinelName,
      };
  if (!variables.REDIS_URL && !variables.REDIS_SENTINELS) return undefined;
  return redisTargetOf(loadConfig(redisEnvSchema, variables));
}

/** `--partition 1,2,5-9`: a list and ranges, each checked against P. */
export function parsePartitionList(text: string | undefined, partitions: number): number[] {
  if (text === undefined) return Array.from({ length: partitions }, (_, p) => p);
  const out = new Set<number>();
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    const from = m ? Number(m[1]) : NaN;
    const to = m?.[2] !== undefined ? Number(m[2]) : from;
    if (!m || to < from || to >= partitions) {
      throw new RedoubtError(
        'INVALID_ARGUMENT',
        `--partition ${JSON.stringify(part)}: partitions are 0..${partitions - 1} (e.g. 3 or 0-15,42)`,
      );
    }
    for (let p = from; p <= to; p++) out.add(p);
  }
  if (out.size === 0) throw new RedoubtError('INVALID_ARGUMENT', '--partition names no partition');
  return [...out].sort((a, b) => a - b);
}
