import { env as envSchemas, loadConfig, z } from '@redoubt/config';
import { RedoubtError } from '@redoubt/errors';
import { existsSync } from 'node:fs';
import { clockDirOf, readStackFile, type StackFile } from '@redoubt/local-stack';

/** Everything the chaos app needs to reach a running redoubt: endpoints, keys and the cluster's shape. */
export interface ChaosEnvironment {
  kind: 'local' | 'docker';
  gateways: string[];
  apiKey: string;
  adminKey: string;
  clusterToken: string;
  dataNodes: { id: string; name: string; url: string }[];
  redisUrl: string | null;
  queuePrefix: string;
  monitors: string[];
  /** The supervisor's control API (local stacks). */
  controlUrl: string | null;
  /** The clock-skew offset files (local: `<home>/clock` when started with REDOUBT_CHAOS_CLOCK=1). */
  clockDir?: string | undefined;
  /** Processes of a local stack (name, role, id, url), for the local driver's targets. */
  processes: { name: string; role: string; id?: string; url?: string }[];
  /** Other services by name and URL (docker: SERVICES, as the monitor takes it), for health probes. */
  services: { name: string; url: string }[];
  partitions: number;
  replicas: number;
  writeQuorum: number;
  readQuorum: number;
}

/** A running `npm start` (or startLocalStack) as its stack.json describes it. */
export function environmentFromStack(stack: StackFile): ChaosEnvironment {
  return {
    kind: 'local',
    gateways: stack.gateways.map((g) => g.url),
    apiKey: stack.keys.apiKey,
    adminKey: stack.keys.adminKey,
    clusterToken: stack.keys.clusterToken,
    dataNodes: stack.dataNodes.map((d) => ({ id: d.id, name: d.name, url: d.url })),
    redisUrl: stack.redis.url || null,
    queuePrefix: stack.cluster.queuePrefix,
    monitors: stack.processes.filter((p) => p.role === 'monitor').map((p) => p.url),
    controlUrl: stack.supervisor.control,
    clockDir: existsSync(clockDirOf(stack.home)) ? clockDirOf(stack.home) : undefined,
    processes: stack.processes.map((p) => ({ name: p.name, role: p.role, id: p.id, url: p.url })),
    services: stack.processes.map((p) => ({ name: p.name, url: p.url })),
    partitions: stack.cluster.partitions,
    replicas: stack.cluster.replicas,
    writeQuorum: stack.cluster.writeQuorum,
    readQuorum: stack.cluster.readQuorum,
  };
}

export function environmentFromStackFile(path: string): ChaosEnvironment {
  const stack = readStackFile(path);
  if (!stack)
    throw new RedoubtError(
      'CONFIG_INVALID',
      `no running local stack: ${path} does not exist or is unreadable (start one with npm start)`,
      { stackFile: path },
    );
  if (stack.state !== 'running')
    throw new RedoubtError('CONFIG_INVALID', `the local stack is ${stack.state}, not running (${path})`, {
      stackFile: path,
    });
  if (!stack.supervisor.control)
    throw new RedoubtError('CONFIG_INVALID', `the local stack in ${path} serves no control API`, {
      stackFile: path,
    });
  return environmentFromStack(stack);
}

const optionalUrlList = () =>
  z
    .string()
    .optional()
    .transform((s) =>
      (s ?? '')
        .split(',')
        .map((u) => u.trim().replace(/\/+$/, ''))
        .filter(Boolean),
    )
    .pipe(z.array(envSchemas.httpUrl()));

/**
 * The chaos app inside compose (docker driver): the services' own variables (DATA_NODES, REDIS_URL,
 * ADMIN_KEY, CLUSTER_TOKEN...) plus the gateways (CHAOS_GATEWAYS, or GATEWAY_URL: a load balancer or
 * gateways, comma-separated), a client key (API_KEY, or the first of API_KEYS), and optionally the
 * monitors (MONITOR_URLS) and the other services by name (SERVICES=name=url,..., as the monitor takes it).
 */
export const dockerEnvironmentSchema = z
  .object({
    CHAOS_GATEWAYS: optionalUrlList(),
    GATEWAY_URL: optionalUrlList(),
    API_KEY: envSchemas.secret().optional(),
    API_KEYS: envSchemas.secretList().optional(),
    ADMIN_KEY: envSchemas.secret(),
    CLUSTER_TOKEN: envSchemas.secret(),
    DATA_NODES: envSchemas.idUrlList(),
    REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\//)
      .optional(),
    QUEUE_PREFIX: z.string().min(1).default('redoubt'),
    MONITOR_URLS: optionalUrlList(),
    SERVICES: z
      .string()
      .optional()
      .transform((s) => s ?? '')
      .transform((s) => (s.trim() === '' ? '' : s))
      .pipe(z.union([z.literal(''), envSchemas.idUrlList()])),
    PARTITIONS: envSchemas.positiveInt().default(4096),
    REPLICAS: envSchemas.positiveInt().default(3),
    WRITE_QUORUM: envSchemas.positiveInt().default(2),
    READ_QUORUM: envSchemas.positiveInt().default(2),
  })
  .superRefine((config, ctx) => {
    if (config.CHAOS_GATEWAYS.length === 0 && config.GATEWAY_URL.length === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['CHAOS_GATEWAYS'],
        message: 'set CHAOS_GATEWAYS or GATEWAY_URL',
      });
    if (!config.API_KEY && !config.API_KEYS)
      ctx.addIssue({ code: 'custom', path: ['API_KEY'], message: 'set API_KEY (or API_KEYS)' });
  });

export function environmentFromEnv(env: NodeJS.ProcessEnv): ChaosEnvironment {
  const config = loadConfig(dockerEnvironmentSchema, env);
  return {
    kind: 'docker',
    gateways: config.CHAOS_GATEWAYS.length > 0 ? config.CHAOS_GATEWAYS : config.GATEWAY_URL,
    apiKey: config.API_KEY ?? config.API_KEYS![0]!,
    adminKey: config.ADMIN_KEY,
    clusterToken: config.CLUSTER_TOKEN,
    dataNodes: config.DATA_NODES.map((d) => ({ id: d.id, name: d.id, url: d.url })),
    redisUrl: config.REDIS_URL ?? null,
    queuePrefix: config.QUEUE_PREFIX,
    monitors: config.MONITOR_URLS,
    controlUrl: null,
    processes: [],
    services: config.SERVICES === '' ? [] : config.SERVICES.map((s) => ({ name: s.id, url: s.url })),
    partitions: config.PARTITIONS,
    replicas: config.REPLICAS,
    writeQuorum: config.WRITE_QUORUM,
    readQuorum: config.READ_QUORUM,
  };
}
