import { join } from 'node:path';
import { ensureBackupKeys } from './backup-keys.js';
import { redisServerArgs } from './redis-server-process.js';
import { REPO_ROOT } from './service-process.js';
import {
  forgetConfigFile,
  memberConfig,
  prepareConfigFile,
  sentinelArgs,
  sentinelConfig,
} from './redis-sentinel.js';
import type { ComponentDefinition, StackContext, StackDefinition, StackShape } from './stack-definition.js';

const loopback = '127.0.0.1';

const sentinelMode = (shape: StackShape) => shape.redis === 'sentinel';

/** The first master's address: what the replica follows and the sentinels monitor at first. */
function firstMaster(context: StackContext): { host: string; port: number } {
  return { host: loopback, port: context.byRole('redis')[0]?.port ?? 0 };
}

/**
 * The group's ports, the key under which its config files stay valid: the same layout as the last run
 * keeps every file (the sentinels' knowledge of who is master now, each server's role); another layout
 * starts the group over from its definition (`redis` master, `redis-replica` following it).
 */
function groupLayout(context: StackContext): string {
  return ['redis', 'redis-replica', 'redis-sentinel']
    .flatMap((role) => context.byRole(role).map((i) => i.port))
    .join(',');
}

/** The files whose layout markers tie a sentinel group together (see `groupLayout`). */
function groupConfigFiles(context: StackContext): { dir: string; file: string }[] {
  return [
    { dir: join(context.home, 'redis'), file: 'redis.conf' },
    { dir: join(context.home, 'redis-replica'), file: 'redis.conf' },
    ...[1, 2, 3].map((i) => ({ dir: join(context.home, 'sentinel', `s${i}`), file: 'sentinel.conf' })),
  ];
}

/**
 * With Sentinel, a crashed Redis is brought back only after the sentinels had time to fail over (1 s of
 * silence, then a vote and a promotion): the old master then returns as a replica of the new one, instead
 * of coming back as master from its AOF (up to a second behind) before anyone noticed it was gone.
 */
const AFTER_FAILOVER = { initialDelayMs: 5_000 };

/**
 * The queues' Redis: the system's redis-server with AOF and noeviction, its own port and directory. With
 * `--redis sentinel` it is the first master, run from a config file the sentinels may rewrite.
 */
const redis: ComponentDefinition = {
  role: 'redis',
  tier: 0,
  count: () => 1,
  maxInstances: 1,
  name: () => 'redis',
  id: () => 'redis',
  run: {
    command: 'redis-server',
    args: (instance, context) => {
      const dir = instance.dir ?? '.';
      if (!sentinelMode(context.shape)) {
        // This run writes to `redis` alone: a later sentinel run must start from its data, not from
        // whatever roles an earlier sentinel run left in the files.
        for (const { dir: at, file } of groupConfigFiles(context)) forgetConfigFile(at, file);
        return redisServerArgs({ port: instance.port, dir });
      }
      const config = prepareConfigFile(dir, 'redis.conf', groupLayout(context), memberConfig());
      return redisServerArgs({ port: instance.port, dir, config });
    },
  },
  restartPolicy: (shape) => (sentinelMode(shape) ? AFTER_FAILOVER : undefined),
  defaultPort: 6390,
  portOffset: 0,
  portVariable: 'REDOUBT_REDIS_PORT',
  scheme: 'redis',
  readiness: 'tcp',
  stateDir: () => 'redis',
  env: () => ({}),
};

/** The bucket the stack's backups go to on its own object store. */
export const STACK_BACKUP_BUCKET = 'redoubt-backups';

/**
 * The stack's object store: s3rver (libs/backup-stores/src/s3rver-main.ts) with this run's generated key
 * pair, its objects under `<home>/s3` (not a state root: backups outlive `--fresh`, like the directory
 * target), so that a newcomer's backups leave the data nodes' directories. Runs when backups do.
 */
const s3: ComponentDefinition = {
  role: 's3',
  tier: 0,
  count: (shape) => (shape.worker && shape.backups ? 1 : 0),
  maxInstances: 1,
  name: () => 's3',
  id: () => 's3',
  run: {
    command: process.execPath,
    // DES continuation tokens of s3rver 3.7 need OpenSSL's legacy provider (see s3rver-main.ts).
    args: () => [
      '--openssl-legacy-provider',
      '--import',
      'tsx',
      join(REPO_ROOT, 'libs', 'backup-stores', 'src', 's3rver-main.ts'),
    ],
  },
  defaultPort: 4568,
  portOffset: 9,
  portVariable: 'REDOUBT_S3_PORT',
  scheme: 'http',
  readiness: 'tcp',
  stateDir: () => 's3',
  env: (instance, context) => ({
    S3_HOST: loopback,
    S3_PORT: String(instance.port),
    S3_DIR: instance.dir ?? '',
    S3_ACCESS_KEY_ID: context.objectStoreKeys.accessKeyId,
    S3_SECRET_ACCESS_KEY: context.objectStoreKeys.secretAccessKey,
    S3_BUCKETS: STACK_BACKUP_BUCKET,
  }),
};

/**
 * Two copies on two kinds: t1 in the stack's S3 bucket, t2 in `<home>/backups/t2` (both outlive
 * `--fresh`, so a wiped stack can be restored from them).
 */
function stackBackups(context: StackContext): { targets: string; env: Record<string, string> } | undefined {
  const store = context.byRole('s3')[0];
  if (!context.shape.backups || !store) return undefined;
  return {
    targets: [
      `t1=s3://${STACK_BACKUP_BUCKET}?endpoint=${store.url}&region=us-east-1&style=path`,
      `t2=${join(context.home, 'backups', 't2')}`,
    ].join(','),
    env: {
      BACKUP_S3_T1_ACCESS_KEY_ID: context.objectStoreKeys.accessKeyId,
      BACKUP_S3_T1_SECRET_ACCESS_KEY: context.objectStoreKeys.secretAccessKey,
    },
  };
}

/** `--redis sentinel`: one replica of the first master (AOF too), promoted by the sentinels when it dies. */
const redisReplica: ComponentDefinition = {
  role: 'redis-replica',
  tier: 0,
  count: (shape) => (sentinelMode(shape) ? 1 : 0),
  maxInstances: 1,
  name: () => 'redis-replica',
  id: () => 'redis-replica',
  run: {
    command: 'redis-server',
    args: (instance, context) => {
      const dir = instance.dir ?? '.';
      const master = firstMaster(context);
      const config = prepareConfigFile(dir, 'redis.conf', groupLayout(context), memberConfig(master));
      return redisServerArgs({ port: instance.port, dir, config });
    },
  },
  restartPolicy: () => AFTER_FAILOVER,
  defaultPort: 6391,
  portOffset: 50,
  portVariable: 'REDOUBT_REDIS_REPLICA_PORT',
  scheme: 'redis',
  readiness: 'tcp',
  stateDir: () => 'redis-replica',
  env: () => ({}),
};

/** `--redis sentinel`: three sentinels (quorum 2), redis-server in sentinel mode, each with its own state. */
const redisSentinel: ComponentDefinition = {
  role: 'redis-sentinel',
  tier: 0,
  count: (shape) => (sentinelMode(shape) ? 3 : 0),
  maxInstances: 3,
  name: (i) => `sentinel-${i}`,
  id: (i) => `sentinel-${i}`,
  run: {
    command: 'redis-server',
    args: (instance, context) => {
      const dir = instance.dir ?? '.';
      const master = firstMaster(context);
      const content = sentinelConfig({ port: instance.port, dir, master });
      return sentinelArgs(prepareConfigFile(dir, 'sentinel.conf', groupLayout(context), content));
    },
  },
  defaultPort: 26390,
  portOffset: 51,
  portVariable: 'REDOUBT_SENTINEL_PORT',
  scheme: 'redis',
  readiness: 'tcp',
  stateDir: (i) => `sentinel/s${i}`,
  env: () => ({}),
};

const data: ComponentDefinition = {
  role: 'data',
  tier: 1,
  count: (shape) => shape.dataNodes,
  maxInstances: 30,
  name: (i) => `data-${i}`,
  id: (i) => `d${i}`,
  run: { app: 'data' },
  defaultPort: 7101,
  portOffset: 10,
  portVariable: 'REDOUBT_DATA_PORT',
  scheme: 'http',
  readiness: 'http',
  stateDir: (i) => `data/d${i}`,
  env: (instance, context) => ({
    NODE_ID: instance.id,
    DATA_HOST: loopback,
    DATA_PORT: String(instance.port),
    DATA_DIR: instance.dir ?? '',
    CLUSTER_TOKEN: context.keys.clusterToken,
    PARTITIONS: String(context.settings.partitions),
    LOG_LEVEL: context.settings.logLevel,
  }),
};

const gateway: ComponentDefinition = {
  role: 'gateway',
  tier: 2,
  count: (shape) => shape.gateways,
  maxInstances: 10,
  name: (i) => `gw-${i}`,
  id: (i) => `gw${i}`,
  run: { app: 'gateway' },
  defaultPort: 8080,
  portOffset: 40,
  portVariable: 'REDOUBT_GATEWAY_PORT',
  scheme: 'http',
  readiness: 'http',
  env: (instance, context) => ({
    ...context.clusterEnv(),
    GATEWAY_ID: instance.id,
    GATEWAY_HOST: loopback,
    GATEWAY_PORT: String(instance.port),
    API_KEYS: context.keys.apiKey,
  }),
};

const backupWorker: ComponentDefinition = {
  role: 'backup-worker',
  // Same tier as the gateways: it needs the data nodes and Redis, and stops before them.
  tier: 2,
  count: (shape) => (shape.worker ? 1 : 0),
  maxInstances: 4,
  name: (i) => (i === 1 ? 'backup-worker' : `backup-worker-${i}`),
  id: (i) => `w${i}`,
  run: { app: 'backup-worker' },
  optional: true,
  defaultPort: 8090,
  portOffset: 2,
  portVariable: 'REDOUBT_WORKER_PORT',
  scheme: 'http',
  readiness: 'http',
  env: (instance, context) => ({
    ...context.clusterEnv(),
    WORKER_ID: instance.id,
    WORKER_HOST: loopback,
    WORKER_PORT: String(instance.port),
    // Backups stay across `--fresh` (not a state root), so a wiped stack can be restored from them.
    ...(() => {
      const backups = stackBackups(context);
      // Encrypted and signed by default, under keys kept in the home (backup-keys.ts).
      return backups
        ? { BACKUP_TARGETS: backups.targets, ...backups.env, ...ensureBackupKeys(context.home).env }
        : {};
    })(),
  }),
};

const monitor: ComponentDefinition = {
  role: 'monitor',
  // Last to start, first to stop: it watches (and restarts) everything below it.
  tier: 3,
  // Off unless asked for (`npm start` asks for one): tests that kill processes on purpose do not want an
  // operator bringing them back.
  count: (shape) => shape.instances?.monitor ?? 0,
  maxInstances: 3,
  name: (i) => (i === 1 ? 'monitor' : `monitor-${i}`),
  id: (i) => `m${i}`,
  run: { app: 'monitor' },
  optional: true,
  defaultPort: 7070,
  portOffset: 6,
  portVariable: 'REDOUBT_MONITOR_PORT',
  scheme: 'http',
  readiness: 'http',
  env: (instance, context) => {
    const monitors = context.byRole('monitor');
    const watched = [...context.byRole('gateway'), ...context.byRole('backup-worker'), ...monitors];
    return {
      ...context.clusterEnv(),
      MONITOR_ID: instance.id,
      MONITOR_HOST: loopback,
      MONITOR_PORT: String(instance.port),
      ORCHESTRATOR: context.controlUrl ? 'local' : 'none',
      ...(context.controlUrl ? { SUPERVISOR_URL: context.controlUrl } : {}),
      SERVICES: watched.map((i) => `${i.id}=${i.url}`).join(','),
      ORCHESTRATOR_NAMES: monitors.map((i) => `${i.id}=${i.name}`).join(','),
    };
  },
};

/**
 * redoubt on one machine. Tiers: Redis (with `--redis sentinel` also its replica and sentinels), then the data nodes, then everything that talks to them. The
 * monitor comes last (tier 3).
 */
export const REDOUBT_STACK: StackDefinition = {
  components: [redis, redisReplica, redisSentinel, s3, data, gateway, backupWorker, monitor],
  backups: stackBackups,
  stateRoots: ['redis', 'redis-replica', 'sentinel', 'data', 'logs'],
};
