import { RedoubtError } from '@redoubt/errors';
import type { RestartPolicy } from './restart-policy.js';

/** The three secrets of a run. */
export interface StackKeys {
  /** Client API key for the gateways (`Authorization: Bearer <key>`). */
  apiKey: string;
  /** Admin endpoints of the services and the supervisor's control API. */
  adminKey: string;
  /** Service-to-service calls (`x-redoubt-cluster-token`). */
  clusterToken: string;
}

/** Cluster-wide settings every service of one stack shares. */
export interface ClusterSettings {
  partitions: number;
  replicas: number;
  writeQuorum: number;
  readQuorum: number;
  queuePrefix: string;
  logLevel: string;
}

/** How many of what: the stack's shape (the CLI flags). */
export interface StackShape {
  dataNodes: number;
  gateways: number;
  worker: boolean;
  /**
   * Scheduled backups in the worker to an S3 bucket on the stack's own s3rver and to `<home>/backups/t2`
   * (npm start: on; tests: off unless asked).
   */
  backups?: boolean;
  /** Instance counts by role for components without a flag of their own (e.g. `{ monitor: 2 }`). */
  instances?: Record<string, number>;
  /**
   * `single` (default): one redis-server. `sentinel`: a master, one replica and three sentinels; the
   * services find the master through the sentinels (REDIS_SENTINELS, REDIS_SENTINEL_NAME).
   */
  redis?: 'single' | 'sentinel';
}

/** One process of the stack, planned: who it is, where it listens, where it keeps its state. */
export interface StackInstance {
  role: string;
  /** 1-based among the instances of its role. */
  index: number;
  /** Process name: log prefix, control API name (`data-1`). */
  name: string;
  /** The id the service knows itself by (`NODE_ID=d1`). */
  id: string;
  port: number;
  /** How clients reach it (`http://127.0.0.1:7101`, `redis://127.0.0.1:6390`). */
  url: string;
  /** Its own state directory (absolute), when it keeps state. */
  dir?: string;
  /** Its log file (absolute). */
  log: string;
}

/** What a component's `env` and `args` can draw on. */
export interface StackContext {
  home: string;
  keys: StackKeys;
  settings: ClusterSettings;
  instances: readonly StackInstance[];
  /** The supervisor's control API, when the stack runs under the CLI (for the monitor's local driver). */
  controlUrl?: string;
  /** The shape asked for (what runs, and options such as backups). */
  shape: StackShape;
  byRole(role: string): StackInstance[];
  /**
   * What every redoubt service shares (docs/service-contracts.md): CLUSTER_TOKEN, ADMIN_KEY, DATA_NODES,
   * REDIS_URL (or REDIS_SENTINELS and REDIS_SENTINEL_NAME), QUEUE_PREFIX, PARTITIONS, REPLICAS, WRITE_QUORUM, READ_QUORUM, LOG_LEVEL.
   */
  clusterEnv(): Record<string, string>;
  /** The key pair of this run's object store (s3rver), generated at start like the other secrets. */
  objectStoreKeys: { accessKeyId: string; secretAccessKey: string };
}

/**
 * One kind of process in the stack. Adding an app to `npm start` is adding one of these to the stack
 * definition: how many, what runs, which port, which environment.
 */
export interface ComponentDefinition {
  role: string;
  /** Start order: lower tiers start first (each ready before the next) and stop last. */
  tier: number;
  /** How many instances for this shape (0 = not started). */
  count(shape: StackShape): number;
  maxInstances: number;
  name(index: number): string;
  id(index: number): string;
  /** An app under apps/ run through tsx, or a program from the system. */
  run: { app: string } | { command: string; args(instance: StackInstance, context: StackContext): string[] };
  /** An app still being written: started once its src/main.ts exists, skipped (with a note) before. */
  optional?: boolean;
  /** Port of instance 1 when nothing is configured; instance i gets defaultPort + i - 1. */
  defaultPort: number;
  /** Port of instance 1 relative to REDOUBT_BASE_PORT. */
  portOffset: number;
  /** The variable that fixes the port of instance 1 (e.g. REDOUBT_DATA_PORT). */
  portVariable: string;
  scheme: 'http' | 'redis';
  /** `http`: GET /readyz answers 200; `tcp`: the port accepts connections. */
  readiness: 'http' | 'tcp';
  /** How this component is restarted after a crash, where it differs from the stack's policy. */
  restartPolicy?(shape: StackShape): Partial<RestartPolicy> | undefined;
  /** State directory relative to the stack's home (kept across runs, wiped by --fresh). */
  stateDir?(index: number): string;
  env(instance: StackInstance, context: StackContext): Record<string, string>;
}

export interface StackDefinition {
  components: readonly ComponentDefinition[];
  /**
   * The backup targets the stack's worker uses and the environment they need (S3 credentials), recorded
   * in stack.json so that the CLI backs up and restores with the same; undefined when backups are off.
   */
  backups?(context: StackContext): { targets: string; env: Record<string, string> } | undefined;
  /** Directories under the home that hold state (what --fresh wipes). */
  stateRoots: readonly string[];
}

/** Instances per component for a shape (explicit `instances` win), validated against each maximum. */
export function instanceCounts(
  definition: StackDefinition,
  shape: StackShape,
): Map<ComponentDefinition, number> {
  const counts = new Map<ComponentDefinition, number>();
  for (const component of definition.components) {
    const count = shape.instances?.[component.role] ?? component.count(shape);
    if (!Number.isInteger(count) || count < 0 || count > component.maxInstances)
      throw new RedoubtError(
        'INVALID_ARGUMENT',
        `${component.role}: ${count} instances requested; between 0 and ${component.maxInstances} are possible`,
      );
    counts.set(component, count);
  }
  return counts;
}

/**
 * Where each process listens when the stack runs by hand: from REDOUBT_BASE_PORT (base + the component's
 * offset), else the contract's defaults (docs/service-contracts.md); a component's own variable (the port
 * of its first instance) wins over both. Keys are process names.
 */
export function portLayout(
  definition: StackDefinition,
  shape: StackShape,
  configured: { base?: number; first?: Record<string, number | undefined> } = {},
): Record<string, number> {
  const ports: Record<string, number> = {};
  for (const [component, count] of instanceCounts(definition, shape)) {
    const explicit = configured.first?.[component.portVariable];
    for (let index = 1; index <= count; index += 1) {
      let port: number;
      // 0, as a base or as a component's port, means "any free port" (picked when the stack starts).
      if (explicit !== undefined) port = explicit === 0 ? 0 : explicit + index - 1;
      else if (configured.base === 0) port = 0;
      else if (configured.base !== undefined) port = configured.base + component.portOffset + index - 1;
      else port = component.defaultPort + index - 1;
      ports[component.name(index)] = port;
    }
  }
  for (const [name, port] of Object.entries(ports)) {
    if (port > 65535)
      throw new RedoubtError('CONFIG_INVALID', `the port for ${name} would be ${port}, above 65535`);
  }
  return ports;
}
