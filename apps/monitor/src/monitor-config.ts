import { checkRedisEnv, env, redisEnvShape, z } from '@redoubt/config';

const nodeId = /^[A-Za-z0-9_-]{1,64}$/;

/** An unset and an empty variable mean the same: not given. */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

/** `key=value,...` into a map, each pair checked by `check` (returns a problem or undefined). */
const pairList = (what: string, check: (key: string, value: string) => string | undefined) =>
  z
    .string()
    .default('')
    .transform((text, ctx) => {
      const map = new Map<string, string>();
      for (const part of text
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean)) {
        const eq = part.indexOf('=');
        const key = part.slice(0, eq);
        const value = part.slice(eq + 1);
        const problem = eq <= 0 ? `"${part}" is not ${what}` : check(key, value);
        if (problem) {
          ctx.addIssue({ code: 'custom', message: problem });
          return z.NEVER;
        }
        if (map.has(key)) {
          ctx.addIssue({ code: 'custom', message: `${key} appears twice` });
          return z.NEVER;
        }
        map.set(key, value);
      }
      return map;
    });

/**
 * The monitor's environment (docs/service-contracts.md, apps/monitor/README.md). Validated at start; a
 * wrong value stops the process naming the variable.
 */
export const monitorConfigSchema = z
  .object({
    MONITOR_ID: z.string().regex(nodeId, 'must match [A-Za-z0-9_-]{1,64}'),
    MONITOR_HOST: env.host(),
    MONITOR_PORT: env.port().default(7070),
    /** How other monitors and the CLI reach this one (published with the leader lease). */
    MONITOR_URL: optional(env.httpUrl()),
    ...redisEnvShape,
    QUEUE_PREFIX: z.string().regex(nodeId).default('redoubt'),
    CLUSTER_TOKEN: env.secret(),
    ADMIN_KEY: env.secret(),
    DATA_NODES: env.idUrlList(),
    DATA_NODE_ZONES: env.zoneList(),
    /** Other services to probe and keep running: `name=url,...` (http(s):// probed at /healthz, redis:// with PING). */
    SERVICES: pairList('name=url', (name, url) =>
      !nodeId.test(name)
        ? `service name "${name}" must match [A-Za-z0-9_-]{1,64}`
        : /^(https?|rediss?):\/\/\S+$/.test(url)
          ? undefined
          : `"${url}" is not an http:// or redis:// URL`,
    ),
    /** Probe REDIS_URL as the service `redis` (and restart it like any other). Default true; no effect with Sentinel. */
    PROBE_REDIS: env.booleanFlag().default(true),
    PARTITIONS: env
      .positiveInt()
      .max(1 << 24)
      .default(4096),
    REPLICAS: env.positiveInt().default(3),
    WRITE_QUORUM: env.positiveInt().default(2),
    DEAD_AFTER_MS: env.positiveInt().default(60_000),
    PROBE_INTERVAL_MS: env.positiveInt().default(250),
    PROBE_TIMEOUT_MS: env.positiveInt().default(400),
    /** Consecutive failed probes that make a service down (a refused connection is down at once). */
    FAILURES_TO_DOWN: env.positiveInt().default(2),
    /** A service that runs but does not answer is restarted after being down this long. */
    RESTART_UNRESPONSIVE_AFTER_MS: env.positiveInt().default(2_000),
    /** A service its orchestrator keeps starting (or backing off) is restarted after being down this long. */
    RESTART_STUCK_AFTER_MS: env.positiveInt().default(60_000),
    /** After a service was (re)started, by the monitor or its orchestrator, how long it may boot before it counts as hung. */
    RESTART_STARTUP_GRACE_MS: env.positiveInt().default(10_000),
    /** No restart of a silent service while more than this share of all services is silent (a starved machine). */
    RESTART_HOLD_SILENT_SHARE: z.coerce.number().gt(0).max(1).default(0.5),
    REPAIR_ON_RETURN: env.booleanFlag().default(true),
    ORCHESTRATOR: z.enum(['local', 'docker', 'swarm', 'kubernetes', 'none']).default('none'),
    SUPERVISOR_URL: optional(env.httpUrl()),
    DOCKER_SOCKET: z.string().min(1).default('/var/run/docker.sock'),
    COMPOSE_PROJECT: optional(z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'must be a compose project name')),
    /** swarm: the stack the monitor watches (`docker stack deploy ... <stack>`). */
    SWARM_STACK: optional(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be a stack name')),
    /** kubernetes: the release's namespace (downward API metadata.namespace) and its pods' label selector. */
    KUBERNETES_NAMESPACE: optional(
      z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a namespace name'),
    ),
    KUBERNETES_POD_SELECTOR: optional(z.string().regex(/^\S+=\S+(,\S+=\S+)*$/, 'must be label=value,...')),
    /** How the orchestrator calls each service when its own naming does not fit: `name=process,...`. */
    ORCHESTRATOR_NAMES: pairList('name=orchestrator-name', (_name, target) =>
      /^[A-Za-z0-9_.-]{1,128}$/.test(target) ? undefined : `"${target}" is not a process or service name`,
    ),
    /** Copy bandwidth used for estimates, MB/s (10^6 bytes per second, as the worker's BANDWIDTH_LIMIT_MB_S). */
    BANDWIDTH_MBPS: z.coerce.number().positive().default(100),
    LEASE_TTL_MS: env.positiveInt().min(500).default(4_000),
    LOG_LEVEL: env.logLevel(),
  })
  .superRefine((config, ctx) => {
    checkRedisEnv(config, ctx);
    if (config.ORCHESTRATOR === 'local' && !config.SUPERVISOR_URL)
      ctx.addIssue({
        code: 'custom',
        path: ['SUPERVISOR_URL'],
        message: 'is required when ORCHESTRATOR=local',
      });
    if (config.ORCHESTRATOR === 'swarm' && !config.SWARM_STACK)
      ctx.addIssue({ code: 'custom', path: ['SWARM_STACK'], message: 'is required when ORCHESTRATOR=swarm' });
    if (config.ORCHESTRATOR === 'kubernetes')
      for (const key of ['KUBERNETES_NAMESPACE', 'KUBERNETES_POD_SELECTOR'] as const)
        if (!config[key])
          ctx.addIssue({ code: 'custom', path: [key], message: 'is required when ORCHESTRATOR=kubernetes' });
    if (config.DATA_NODES.length < config.REPLICAS)
      ctx.addIssue({
        code: 'custom',
        path: ['DATA_NODES'],
        message: `lists ${config.DATA_NODES.length} nodes; REPLICAS=${config.REPLICAS} needs at least as many`,
      });
    if (config.WRITE_QUORUM > config.REPLICAS)
      ctx.addIssue({ code: 'custom', path: ['WRITE_QUORUM'], message: 'must not exceed REPLICAS' });
    for (const id of config.DATA_NODE_ZONES.keys()) {
      if (!config.DATA_NODES.some((n) => n.id === id))
        ctx.addIssue({ code: 'custom', path: ['DATA_NODE_ZONES'], message: `${id} is not in DATA_NODES` });
    }
    for (const name of config.SERVICES.keys()) {
      if (config.DATA_NODES.some((n) => n.id === name) || (config.PROBE_REDIS && name === 'redis'))
        ctx.addIssue({
          code: 'custom',
          path: ['SERVICES'],
          message: `${name} is already watched (a data node or redis)`,
        });
    }
  });

export type MonitorConfig = z.infer<typeof monitorConfigSchema>;

/** What kind of service a name is, by the naming of the stack and compose files. */
export function kindOf(name: string, url: string): string {
  if (url.startsWith('redis')) return 'redis';
  if (/^(gw|gateway)/i.test(name)) return 'gateway';
  if (/worker|^w\d+$/i.test(name)) return 'worker';
  if (/^(monitor|m\d+$)/i.test(name)) return 'monitor';
  return 'service';
}
