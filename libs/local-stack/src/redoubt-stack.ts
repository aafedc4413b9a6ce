import { join } from 'node:path';
import { ensureBackupKeys } from './backup-keys.js';
import { redisServerArgs } from './redis-server-process.js';
import type { ComponentDefinition, StackDefinition } from './stack-definition.js';

const loopback = '127.0.0.1';

/** The queues' Redis: the system's redis-server with AOF and noeviction, its own port and directory. */
const redis: ComponentDefinition = {
  role: 'redis',
  tier: 0,
  count: () => 1,
  maxInstances: 1,
  name: () => 'redis',
  id: () => 'redis',
  run: {
    command: 'redis-server',
    args: (instance) => redisServerArgs({ port: instance.port, dir: instance.dir ?? '.' }),
  },
  defaultPort: 6390,
  portOffset: 0,
  portVariable: 'REDOUBT_REDIS_PORT',
  scheme: 'redis',
  readiness: 'tcp',
  stateDir: () => 'redis',
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
    ...(context.shape.backups
      ? {
          BACKUP_TARGETS: ['t1', 't2', 't3'].map((t) => `${t}=${join(context.home, 'backups', t)}`).join(','),
          // Encrypted and signed by default, under keys kept in the home (backup-keys.ts).
          ...ensureBackupKeys(context.home).env,
        }
      : {}),
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
 * redoubt on one machine. Tiers: Redis, then the data nodes, then everything that talks to them. The
 * monitor comes last (tier 3).
 */
export const REDOUBT_STACK: StackDefinition = {
  components: [redis, data, gateway, backupWorker, monitor],
  stateRoots: ['redis', 'data', 'logs'],
};
